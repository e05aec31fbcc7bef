"""Which role a signed-in user's groups give: pure functions over settings values and claims.

settings.py calls role_map() and known_role() at import, so a mapping naming an unknown role stops
start-up with the variable's name, as other settings do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from plumbline.accounts.roles import ROLES


def role_map(raw: str, variable: str = "PLUMBLINE_OIDC_ROLES") -> dict[str, str]:
    """`group=role,group=role` as {group: role}; the group is everything before the last "="."""
    mapping: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        group, equals, role = (text.strip() for text in item.rpartition("="))
        if not equals or not group:
            raise ValueError(f"{variable}: {item!r} is not group=role (e.g. plumbline-admins=admin)")
        mapping[group] = known_role(role, variable)
    return mapping


def known_role(role: str, variable: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise ValueError(f"{variable}: unknown role {role!r} (known: {', '.join(ROLES)})")
    return role


def groups_in(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The groups a claim lists: a list of names, or one name (some providers send a bare string)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        return [str(group) for group in value]
    return []


def role_for_groups(groups: Iterable[str], mapping: Mapping[str, str], default: str | None) -> str | None:
    """The highest role any group maps to; the default when none maps; None: no role, no access."""
    roles = {mapping[group] for group in groups if group in mapping}
    if not roles:
        return default
    return max(roles, key=ROLES.index)
