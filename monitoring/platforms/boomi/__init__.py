"""The boomi health adapter: see adapter.py and README.md beside it."""

from monitoring.platforms.throttle import Limit

# "The limit is 10 requests per second" per account, beyond it a 503 (Platform API usage limits:
# https://developer.boomi.com/docs/GettingStarted/API_licensing).
LIMITS = (Limit(10, 1.0),)
