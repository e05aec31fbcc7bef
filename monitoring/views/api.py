"""The monitoring API's router, where plumbline/urls.py mounts it (the endpoints are in monitoring/api/)."""

from __future__ import annotations

from monitoring.api import router

__all__ = ["router"]
