"""Signals other apps listen to (monitoring syncs health sources, rules refresh findings)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a committed import or edit changed spec documents; kwargs: report (ImportReport).
specs_changed = Signal()

# Sent by monitoring after a committed change of health state (a flip); kwargs: integration_ids.
health_changed = Signal()
