"""Where a poll stops: cursors that never move past a run that is still running.

A cursor that jumped over a running run would hide how that run ended, so both kinds of cursor
stop just short of the oldest run still running; finished runs are not returned twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from monitoring.platforms.contract import PollError, RunObservation, RunStatus
from monitoring.platforms.fields import parse_time

logger = logging.getLogger(__name__)


def newest_finished_id(newest_first: Sequence[RunObservation], previous: str | None) -> str | None:
    """For id-ordered feeds: the newest run that has no running run at or below it in the list."""
    last_running = max((i for i, run in enumerate(newest_first) if run.status == "running"), default=-1)
    if last_running + 1 < len(newest_first):
        return newest_first[last_running + 1].external_id
    return previous


def held_back_time(
    seen: Sequence[tuple[dt.datetime, RunStatus]], previous: dt.datetime | None, step: dt.timedelta
) -> dt.datetime | None:
    """For time-filtered feeds: the latest start seen, or one step before the earliest still running."""
    running = [started for started, status in seen if status == "running"]
    if running:
        candidate = min(running) - step
    elif seen:
        candidate = max(started for started, _ in seen)
    else:
        return previous
    return max(candidate, previous) if previous else candidate


def cursor_time(cursor: str | None, platform: str) -> dt.datetime | None:
    """A stored time cursor, or None (read from the start) when there is none or it is garbled."""
    if not cursor:
        return None
    try:
        return parse_time(cursor, "stored cursor")
    except PollError:
        logger.warning("%s cursor %r is not a timestamp; reading from the start", platform, cursor[:40])
        return None
