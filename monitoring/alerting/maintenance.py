"""Is a system in maintenance at an instant? Its windows come from two places: those planned in the app
(MaintenanceWindow rows, one-off or recurring) and those its spec lists (System.maintenance). The
planner asks for many flips at once and the board for a page of rows, so the windows of every system
involved are read in one query and the occurrences are worked out in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from catalog.models import System
from catalog.spec.maintenance import stored_recurrence
from monitoring.models import MaintenanceWindow
from plumbline.recurrence import Recurrence

# How a flip held by a window says so (Flip.suppressed_reason).
HELD_PREFIX = "maintenance window of "


@dataclass(frozen=True)
class Window:
    """One window of a system: a one-off span, or a recurrence (each occurrence a span)."""

    system: System
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    repeats: Recurrence | None = None
    from_spec: bool = False

    def covering(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        """The span (start, end) holding `at`, start <= at < end, or None."""
        if at < self.starts_at or (self.ends_at is not None and at >= self.ends_at):
            return None
        if self.repeats is None:
            assert self.ends_at is not None
            return self.starts_at, self.ends_at
        return self.repeats.covering(at)

    @property
    def why(self) -> str:
        return f"{HELD_PREFIX}{self.system.display_name}: {self.reason}"[:300]


@dataclass(frozen=True)
class InMaintenance:
    window: Window
    until: dt.datetime


def spec_windows(system: System) -> list[Window]:
    """The windows a system's spec lists (already checked on import)."""
    found = []
    for entry in system.maintenance or []:
        repeats = stored_recurrence(entry)
        begins = repeats.start.replace(tzinfo=repeats.zone).astimezone(dt.UTC)
        # No end here: the rule's own COUNT or UNTIL ends it, and counting to it would walk every occurrence.
        found.append(Window(system, entry.get("reason", ""), begins, None, repeats, from_spec=True))
    return found


def app_window(row: MaintenanceWindow, system: System) -> Window:
    return Window(system, row.reason, row.starts_at, row.ends_at, row.recurrence())


def windows_of(systems: Iterable[System], first: dt.datetime, last: dt.datetime) -> dict[int, list[Window]]:
    """system id -> its windows that may hold an instant from `first` to `last` (one query)."""
    by_id = {system.pk: system for system in systems}
    found: dict[int, list[Window]] = defaultdict(list)
    rows = MaintenanceWindow.objects.filter(
        Q(ends_at__gte=first) | Q(ends_at=None), system_id__in=by_id, starts_at__lte=last
    ).order_by("starts_at", "pk")
    for row in rows:
        found[row.system_id].append(app_window(row, by_id[row.system_id]))
    for system in by_id.values():
        found[system.pk] += spec_windows(system)
    return found


def in_maintenance(
    windows: dict[int, list[Window]], system_ids: Iterable[int], at: dt.datetime
) -> InMaintenance | None:
    """The first window of these systems holding `at`, with when its span ends."""
    for system_id in system_ids:
        for window in windows.get(system_id, []):
            if span := window.covering(at):
                return InMaintenance(window, span[1])
    return None
