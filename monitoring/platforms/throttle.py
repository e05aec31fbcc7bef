"""One throttle per platform account, shared by every worker on every machine: a call waits for its
slot at the vendor's documented rate rather than earn a 429.

Each platform's folder names its limits (`LIMITS` in monitoring/platforms/<name>/__init__.py): so
many requests per so many seconds, for every call to the account or for the paths a pattern matches
(Workato: the jobs endpoints 60 a minute, repeat_jobs 1 a second). The polling, discovery and
replay code runs an adapter inside `account(...)`; outbound.send asks `wait_for_slot` before each
request it makes.

The slots are a sliding log: the times of the last `requests` calls, so no window of `seconds`
ever holds more than `requests` of them, on every worker together. With REDIS_URL the log is a
Redis sorted set changed by one script (atomic across machines); without it, a small file under
PLUMBLINE_VAR_DIR changed under an exclusive lock (atomic across the processes of one machine,
which is all the embedded default runs). A slot further off than the caller can wait is not
taken: the call fails as Throttled and the source is polled again after it.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: float
    path: str = ""  # a regex searched in the URL path; "" covers every call to the account
    method: str = ""  # "" covers every method

    def covers(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and (not self.path or re.search(self.path, path) is not None)


_ACCOUNT: contextvars.ContextVar[tuple[str, tuple[Limit, ...]] | None] = contextvars.ContextVar(
    "plumbline_account_throttle", default=None
)


@contextlib.contextmanager
def account(key: str, limits: Sequence[Limit]) -> Iterator[None]:
    """Calls made inside take their slots from the account `key` (e.g. "boomi|<base_url>|<account id>")."""
    token = _ACCOUNT.set((key, tuple(limits)) if limits and settings.PLUMBLINE_PLATFORM_THROTTLE else None)
    try:
        yield
    finally:
        _ACCOUNT.reset(token)


def wait_for_slot(method: str, path: str, max_wait: float) -> float | None:
    """Take the next slot of every limit covering this call and sleep until the latest; returns the
    seconds waited, or None (nothing taken) when a slot is further off than `max_wait`."""
    current = _ACCOUNT.get()
    if current is None:
        return 0.0
    key, limits = current
    waits = []
    for n, limit in enumerate(limits):
        if limit.covers(method, path):
            slot_key = hashlib.sha256(f"{key}|{n}|{limit.requests}/{limit.seconds}".encode()).hexdigest()[:32]
            wait = _store().take(slot_key, limit.requests, limit.seconds, max_wait)
            if wait is None:
                return None
            waits.append(wait)
    wait = max(waits, default=0.0)
    if wait > 0:
        time.sleep(wait)
    return wait


def slot_after(log: list[float], now: float, requests: int, seconds: float) -> float:
    """The first time from `now` at which one more call keeps every window of `seconds` at `requests`
    calls; `log` holds the times taken, ascending, none older than now - seconds."""
    if len(log) < requests:
        return now
    return max(now, log[-requests] + seconds)


class _FileStore:
    """A log per account in a file, changed under flock: one machine's processes share it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, key: str, requests: int, seconds: float, max_wait: float) -> float | None:
        path = self.folder / f"{key}.json"
        with open(path, "a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            try:
                log = [float(t) for t in json.loads(file.read() or "[]")]
            except (ValueError, TypeError):
                log = []  # a torn or foreign file: start a fresh log rather than stop polling
            now = time.time()
            log = [t for t in log if t > now - seconds]
            slot = slot_after(log, now, requests, seconds)
            if slot - now > max_wait:
                return None
            log.append(slot)
            file.seek(0)
            file.truncate()
            file.write(json.dumps(log[-requests:]))
            return slot - now


# KEYS[1] the log; ARGV now, requests, seconds, max_wait, a unique member. Returns the wait, or -1.
_TAKE = """
local key = KEYS[1]
local now, requests, seconds, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - seconds)
local count = redis.call('ZCARD', key)
local slot = now
if count >= requests then
  local nth = redis.call('ZRANGE', key, count - requests, count - requests, 'WITHSCORES')
  slot = math.max(now, tonumber(nth[2]) + seconds)
end
if slot - now > max_wait then return '-1' end
redis.call('ZADD', key, slot, ARGV[5])
redis.call('PEXPIRE', key, math.ceil((slot - now + seconds) * 1000) + 1000)
return tostring(slot - now)
"""


class _RedisStore:
    """A log per account in a Redis sorted set, changed by one script: every machine shares it."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_TAKE)

    def take(self, key: str, requests: int, seconds: float, max_wait: float) -> float | None:
        args: list[str | int] = [repr(time.time()), requests, repr(seconds), repr(max_wait), uuid.uuid4().hex]
        answer = self.script(keys=[f"plumbline:throttle:{key}"], args=args)
        wait = float(answer)
        return None if wait < 0 else wait


@functools.cache
def _store_for(redis_url: str, folder: str) -> _FileStore | _RedisStore:
    return _RedisStore(redis_url) if redis_url else _FileStore(Path(folder))


def _store() -> _FileStore | _RedisStore:
    return _store_for(settings.REDIS_URL or "", str(Path(settings.VAR_DIR) / "throttle"))
