"""Which integrations carry each data object and which systems they write it into: a pure reading
of the integrations' data_objects lists, shared by the data-object pages and the NO_MASTER and
CONFLICTING_WRITERS rules (catalog/rules/data_objects.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from catalog.choices import Direction, Lifecycle
from catalog.models import Integration, System


@dataclass(frozen=True)
class Write:
    """One integration writing an object into a system, from the system at its other end."""

    integration: Integration
    into: System
    source: System | None


@dataclass
class Carriage:
    """Everything the estate says about one data object key."""

    key: str
    integrations: list[Integration] = field(default_factory=list)  # every one carrying it, by key
    writes: list[Write] = field(default_factory=list)  # of the non-retired ones
    _into: dict[str, list[Write]] | None = field(default=None, repr=False, compare=False)

    def written_into(self) -> dict[str, list[Write]]:
        """System key -> the writes into it, systems by key (worked out once: both rules ask)."""
        if self._into is None:
            found: dict[str, list[Write]] = defaultdict(list)
            for write in self.writes:
                found[write.into.key].append(write)
            self._into = dict(sorted(found.items()))
        return self._into

    def conflicts(self) -> dict[str, list[Write]]:
        """System key -> its writes, for each system two integrations write from different sources."""
        return {
            key: writes
            for key, writes in self.written_into().items()
            if len({w.source.key for w in writes if w.source is not None}) >= 2
        }


def object_keys(integration: Integration) -> list[str]:
    """The data objects an integration carries, as keys (blank and repeated names dropped)."""
    return list(dict.fromkeys(str(name).strip() for name in integration.data_objects or [] if str(name).strip()))


def writes_of(integration: Integration) -> list[tuple[System, System | None]]:
    """(into, from) for each system an integration writes into: its target, and for a
    bidirectional one its source too."""
    found: list[tuple[System, System | None]] = []
    if integration.target is not None:
        found.append((integration.target, integration.source))
    if integration.direction == Direction.BIDIRECTIONAL and integration.source is not None:
        found.append((integration.source, integration.target))
    return found


def carriages(integrations: Iterable[Integration]) -> dict[str, Carriage]:
    """Object key -> its carriage, for every object any integration names. Retired integrations
    are listed but write nothing: they no longer move data."""
    found: dict[str, Carriage] = {}
    for integration in sorted(integrations, key=lambda i: i.key):
        keys = object_keys(integration)
        if not keys:
            continue
        ends = writes_of(integration) if integration.lifecycle != Lifecycle.RETIRED else []
        for key in keys:
            carriage = found.setdefault(key, Carriage(key))
            carriage.integrations.append(integration)
            carriage.writes += [Write(integration, into, source) for into, source in ends]
    return found
