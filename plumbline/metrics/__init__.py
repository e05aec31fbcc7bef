"""Prometheus metrics: the event counters, incremented where each event happens, in any process.

Both apps import this module (it imports nothing of theirs). What is counted here is what no
table keeps: how many pings were accepted or refused, polls and their durations, flips, alerts
and reminders sent. State (queues, findings) is read from the database and the broker when
/metrics is scraped (plumbline/metrics/state.py), so it is right whichever process did the work.

Under gunicorn each worker process counts on its own; with PROMETHEUS_MULTIPROC_DIR set (before
prometheus_client is first imported) every process writes its counts to files there and a scrape
adds them up (plumbline/metrics/view.py, plumbline/gunicorn_conf.py). Celery workers sharing that
folder on the same machine are added up too.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PINGS_ACCEPTED = Counter(
    "plumbline_pings_accepted",
    "Heartbeat pings accepted (stored as pending, or an undocumented connection observed), by signal.",
    ["signal"],
)
PINGS_REFUSED = Counter(
    "plumbline_pings_refused",
    "Heartbeat pings refused, by HTTP status (400 body, 404 unknown, 409 not a heartbeat, 413 too large, "
    "429 over the rate limit, 503 database unavailable).",
    ["status"],
)
POLLS = Counter(
    "plumbline_polls",
    "Polls of pulled health sources, by platform and outcome (ok: the adapter returned runs; error: it could not).",
    ["platform", "outcome"],
)
POLL_DURATION = Histogram(
    "plumbline_poll_duration_seconds",
    "Time an adapter took to poll one source (its HTTP calls), by platform.",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FLIPS = Counter("plumbline_flips", "Health state changes (flips) committed, by the state flipped to.", ["to_state"])
ALERTS_SENT = Counter("plumbline_alerts_sent", "Alerts delivered, by channel.", ["channel"])
ALERTS_FAILED = Counter(
    "plumbline_alerts_failed", "Alert sends that failed (refused or errored; may be retried), by channel.", ["channel"]
)
REMINDERS_SENT = Counter("plumbline_reminders_sent", "Review digest emails sent to owners.")
REMINDERS_FAILED = Counter("plumbline_reminders_failed", "Review digest emails that failed to send (retried later).")

OK, ERROR = "ok", "error"

# Present at 0 from the start, so a rate over the first pings is right (Prometheus's advice for known labels).
for _signal in ("start", "success", "fail"):
    PINGS_ACCEPTED.labels(signal=_signal)


def count_ping(status: int, signal: str) -> None:
    """A ping's answer counted: 2xx accepted (by signal), anything else refused (by status)."""
    if 200 <= status < 300:
        PINGS_ACCEPTED.labels(signal=signal).inc()
    else:
        PINGS_REFUSED.labels(status=str(status)).inc()
