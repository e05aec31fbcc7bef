"""The boomi health adapter: see adapter.py and README.md beside it."""

from monitoring.platforms.throttle import Limit

# The AtomSphere Platform API allows 10 requests a second per account (README.md, Sources).
LIMITS = (Limit(10, 1.0),)
