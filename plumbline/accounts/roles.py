"""Roles and the role checks shared by pages, the API and the admin.

A user's role lives in accounts.Profile; superusers are always admins. Which documents an
owner may edit is the catalog's rule (catalog/ownership.py): accounts knows users, roles and
tokens only, and imports nothing from catalog. Importable before Django is set up (settings.py reads
ROLES to check PLUMBLINE_OIDC_ROLES), hence the import inside _guard.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse

ROLES = ("viewer", "owner", "admin")
VIEWER, OWNER, ADMIN = ROLES


def role_of(user: Any) -> str | None:
    """The user's role, or None for anonymous users and users without a profile."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if getattr(user, "is_superuser", False):
        return ADMIN
    try:
        profile = user.profile
    except (ObjectDoesNotExist, AttributeError):
        return None
    role = getattr(profile, "role", None)
    return role if role in ROLES else None


def can_view(user: Any) -> bool:
    return role_of(user) is not None


def is_admin(user: Any) -> bool:
    return role_of(user) == ADMIN


def email_of(user: Any) -> str:
    """The user's email, lowercased (users are keyed by email: username == email)."""
    return (getattr(user, "email", "") or getattr(user, "username", "") or "").strip().lower()


@transaction.atomic
def assign_role(user: Any, role: str) -> None:
    """Give `user` a role. Only admins are staff (Django admin access) and superusers, so
    the admin site follows the same roles as pages and the API."""
    from plumbline.accounts.models import Profile

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"role": role})
    user.profile = profile  # so this instance answers the new role at once
    user.is_staff = user.is_superuser = role == ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])


@transaction.atomic
def remove_role(user: Any) -> None:
    """Take `user`'s role away: no page, no API token and no admin lets them in until they get one again."""
    from plumbline.accounts.models import Profile

    Profile.objects.filter(user=user).delete()
    user.is_staff = user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])


ViewFunc = Callable[..., HttpResponse]


def _guard(check: Callable[[Any], bool]) -> Callable[[ViewFunc], ViewFunc]:
    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def role_required(view: ViewFunc) -> ViewFunc:
    """Login and any role required: anonymous -> login page, no role -> 403."""
    return _guard(can_view)(view)


def admin_required(view: ViewFunc) -> ViewFunc:
    """Login and the admin role required: anonymous -> login page, others -> 403."""
    return _guard(is_admin)(view)
