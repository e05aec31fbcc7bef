"""Signed review links: /review/<token>/ names the integration (and the digest it came in),
signed with the secret key so it cannot be forged, and refused once it is older than
PLUMBLINE_REVIEW_LINK_DAYS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.urls import reverse

from catalog.reminders import conf

SALT = "plumbline.reminders.review-link"


class LinkRefused(Exception):
    """A review link that must not be acted on; `reason` is "invalid" or "expired"."""

    def __init__(self, reason: str, signed_at: dt.datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signed_at = signed_at


@dataclass(frozen=True)
class ReviewLink:
    integration_key: str
    reminder_id: int | None
    signed_at: dt.datetime
    expires_at: dt.datetime


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(integration_key: str, reminder_id: int | None = None) -> str:
    return _signer().sign_object({"i": integration_key, "r": reminder_id})


def review_url(token: str) -> str:
    return conf.base_url() + reverse("review", args=[token])


def _signed_at(token: str) -> dt.datetime | None:
    try:
        stamp = signing.b62_decode(token.rsplit(":", 2)[-2])
    except (IndexError, ValueError):
        return None
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)


def read_token(token: str) -> ReviewLink:
    """The link's content, or LinkRefused when it was not signed here or has expired."""
    lifetime = dt.timedelta(days=conf.link_days())
    try:
        payload: Any = _signer().unsign_object(token, max_age=lifetime)
    except signing.SignatureExpired as exc:
        raise LinkRefused("expired", _signed_at(token)) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise LinkRefused("invalid") from exc
    key = payload.get("i") if isinstance(payload, dict) else None
    reminder_id = payload.get("r") if isinstance(payload, dict) else None
    signed_at = _signed_at(token)
    if not isinstance(key, str) or not (reminder_id is None or isinstance(reminder_id, int)) or signed_at is None:
        raise LinkRefused("invalid")
    return ReviewLink(key, reminder_id, signed_at, signed_at + lifetime)
