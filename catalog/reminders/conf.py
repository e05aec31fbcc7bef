"""Reminder settings, read from Django settings (plumbline/settings.py reads them from the environment)."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


def reminder_days() -> int:
    """Length of a reminder period: each owner gets at most one digest per period (weekly)."""
    return max(1, int(_get("PLUMBLINE_REMINDER_DAYS", "7")))


def link_days() -> int:
    """How long a review link in a digest stays valid."""
    return max(1, int(_get("PLUMBLINE_REVIEW_LINK_DAYS", "30")))


def base_url() -> str:
    """Absolute URL of this Plumbline for links in emails (the same setting alerts use)."""
    return _get("PLUMBLINE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
