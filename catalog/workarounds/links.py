"""Signed confirmation links: /workaround/confirm/<token>/ names one due run, signed with the secret
key so it cannot be forged or pointed at another run, and refused after LINK_DAYS. The holder of the
link needs no login: the reminder goes only to the workaround's performer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.urls import reverse

from catalog.reminders import conf
from catalog.reminders.links import LinkRefused

SALT = "plumbline.workarounds.confirm-link"
LINK_DAYS = 14  # a fortnight: long enough to confirm after a week away, short enough to go stale


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(run_id: int) -> str:
    return _signer().sign_object({"w": run_id})


def confirm_url(token: str) -> str:
    return conf.base_url() + reverse("workaround-confirm", args=[token])


def read_token(token: str) -> int:
    """The run's id, or LinkRefused ("invalid" or "expired")."""
    try:
        payload: Any = _signer().unsign_object(token, max_age=dt.timedelta(days=LINK_DAYS))
    except signing.SignatureExpired as exc:
        raise LinkRefused("expired") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise LinkRefused("invalid") from exc
    run_id = payload.get("w") if isinstance(payload, dict) else None
    if not isinstance(run_id, int) or isinstance(run_id, bool):
        raise LinkRefused("invalid")
    return run_id
