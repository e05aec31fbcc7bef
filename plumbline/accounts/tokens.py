"""API tokens: generated here, stored only as an HMAC-SHA256 digest keyed with SECRET_KEY
(a leaked database does not leak usable tokens; rotating SECRET_KEY revokes them all)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from plumbline.accounts.models import Token

RAW_PREFIX = "plb_"
PREFIX_LENGTH = len(RAW_PREFIX) + 8
# At most one last-use write per token per this interval.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def digest_of(raw: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


def new_raw_token() -> str:
    return RAW_PREFIX + secrets.token_urlsafe(32)


def prefix_of(raw: str) -> str:
    return raw[:PREFIX_LENGTH]


def create_token(
    user: Any, *, name: str = "", read_only: bool = False, expires_days: int | None = None
) -> tuple[Token, str]:
    """A new token for `user` and its raw value, which is not stored anywhere."""
    raw = new_raw_token()
    expires_at = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
    token = Token.objects.create(
        user=user,
        name=name,
        prefix=prefix_of(raw),
        digest=digest_of(raw),
        read_only=read_only,
        expires_at=expires_at,
    )
    return token, raw


def find_token(raw: str) -> Token | None:
    """The stored token for a raw value (expired ones included), or None."""
    wanted = digest_of(raw)
    token = Token.objects.select_related("user").filter(digest=wanted).first()
    if token is None or not hmac.compare_digest(token.digest, wanted):
        return None
    return token


def record_use(token: Token, now: dt.datetime | None = None) -> bool:
    """Stamp last use, unless it was stamped within the last minute: a conditional UPDATE,
    so a busy token costs at most one write a minute however many workers serve it."""
    now = now or timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - LAST_USED_RESOLUTION:
        return False  # as loaded: fresh enough, no statement at all
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    changed = Token.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    if changed:
        token.last_used_at = now
    return bool(changed)
