"""Monitoring's settings, read from Django settings (plumbline/settings.py reads them from the environment)."""

from __future__ import annotations

import os
import re
from typing import Any

from django.conf import settings
from django.urls.converters import UUIDConverter


def _get(name: str, default: str) -> Any:
    # plumbline/settings.py reads every PLUMBLINE_ setting from the environment once.
    return getattr(settings, name, default)


def ping_rate_per_minute() -> int:
    """Pings accepted per heartbeat URL per minute; more get 429 so a runaway loop cannot flood the DB."""
    return int(_get("PLUMBLINE_PING_RATE_PER_MINUTE", "60"))


def ping_fast_commit() -> bool:
    """PostgreSQL: commit start/success pings without failed records without waiting for the WAL
    flush (monitoring/ingest/heartbeats.py says what that risks); False: every ping waits."""
    return bool(getattr(settings, "PLUMBLINE_PING_FAST_COMMIT", True))


def ping_key() -> str:
    """The platform-wide key of slug pings (/ping/<key>/<slug>); empty: slug pings are off. A key
    shaped like a uuid is ignored, so /ping/<key>/start can never be mistaken for a uuid ping."""
    key = str(_get("PLUMBLINE_PING_KEY", "") or "")
    return "" if re.fullmatch(UUIDConverter.regex, key) else key


def poll_every_minutes() -> int:
    """How often http and platform sources are pulled (never less often than their declared interval)."""
    return max(1, int(_get("PLUMBLINE_POLL_MINUTES", "5")))


def poll_batch_size() -> int:
    """Sources polled per Celery task: enough to amortise task overhead, few enough to spread the work."""
    return max(1, int(_get("PLUMBLINE_POLL_BATCH", "20")))


def escalate_after_minutes() -> int:
    """How long an alert may stay unacknowledged before the next person in line is told."""
    return int(_get("PLUMBLINE_ESCALATE_AFTER_MINUTES", "60"))


def history_days() -> int:
    """Days of runs, flips, alerts and resolved failed records kept (monitoring/health/retention.py); 0: all."""
    return int(_get("PLUMBLINE_HISTORY_DAYS", "400"))


def alert_max_attempts() -> int:
    return int(_get("PLUMBLINE_ALERT_MAX_ATTEMPTS", "3"))


def base_url() -> str:
    """Absolute URL of this Plumbline for links in alerts; relative links when unset."""
    return str(_get("PLUMBLINE_BASE_URL", "")).rstrip("/")


def webhook_secret() -> str:
    return str(_get("PLUMBLINE_WEBHOOK_SECRET", "") or settings.SECRET_KEY)


def webhook_url(target: str) -> str | None:
    """Where a notify entry is delivered: http(s) URLs as given, "#finance-alerts" through
    settings.PLUMBLINE_WEBHOOKS["#finance-alerts"] or env PLUMBLINE_WEBHOOK_FINANCE_ALERTS."""
    if target.startswith(("http://", "https://")):
        return target
    configured: dict[str, str] = getattr(settings, "PLUMBLINE_WEBHOOKS", None) or {}
    if url := configured.get(target) or configured.get(target.lstrip("#")):
        return url
    return os.environ.get(webhook_env_name(target)) or None


def webhook_env_name(target: str) -> str:
    return "PLUMBLINE_WEBHOOK_" + re.sub(r"[^A-Z0-9]+", "_", target.lstrip("#").upper()).strip("_")


def pagerduty_url() -> str:
    """Base of the PagerDuty Events API v2 (events go to {base}/v2/enqueue); EU accounts use events.eu.pagerduty.com."""
    return str(_get("PLUMBLINE_PAGERDUTY_URL", "https://events.pagerduty.com")).rstrip("/")
