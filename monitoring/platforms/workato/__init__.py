"""The workato health adapter: see adapter.py and README.md beside it."""

from monitoring.platforms.throttle import Limit

# Workato's Jobs resources (https://docs.workato.com/workato-api/jobs.html#rate-limits): repeat_jobs
# 1 request a second, all other Jobs endpoints 60 requests a minute.
LIMITS = (
    Limit(1, 1.0, path=r"^/api/recipes/[^/]+/repeat_jobs$", method="POST"),
    Limit(60, 60.0, path=r"^/api/recipes/[^/]+/jobs(/|$)"),
)
