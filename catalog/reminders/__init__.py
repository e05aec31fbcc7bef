"""Stale-spec reminders: a weekly digest per owner of their stale specs and other open findings,
with signed one-click review links; the owner's manager is copied after three unanswered digests.

digest.py decides (pure), links.py signs and reads review links, sending.py runs one pass
(the daily beat task and `manage.py send_reminders`), review.py is what a review link does.
"""

from __future__ import annotations

from catalog.reminders.sending import PassReport, send_reminders

__all__ = ["PassReport", "send_reminders"]
