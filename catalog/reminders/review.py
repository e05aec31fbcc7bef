"""What a review link lets its owner do: confirm the spec is still accurate, or snooze it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, Reminder, ReviewSnooze
from catalog.ownership import person_of
from catalog.spec.edits import document_of, record_change
from plumbline.accounts.roles import email_of, is_admin

CONFIRM_NOTE = "confirmed still accurate"


def may_review(user: Any, integration: Integration) -> bool:
    """The integration's owner or backup owner (matched by email), or an admin."""
    if is_admin(user):
        return True
    email = email_of(user)
    people = (integration.owner, integration.backup_owner)
    return bool(email) and any(p is not None and p.email.lower() == email for p in people)


def record_answer(user: Any, now: dt.datetime | None = None) -> int:
    """The user answered their digests (opened a link, confirmed, snoozed): the next digest does
    not count those as unanswered. Returns how many digests were marked."""
    person = person_of(user)
    if person is None:
        return 0
    answered = Reminder.objects.filter(person=person, sent_at__isnull=False, answered_at=None)
    return answered.update(answered_at=now or timezone.now())


@transaction.atomic
def confirm_review(
    integration: Integration, user: Any, today: dt.date | None = None, *, via: str = ChangeRecord.Via.PAGE
) -> ChangeRecord | None:
    """The owner confirms the spec is still accurate (the reminder's link, the page's button, the API):
    reviewed_at becomes today, recorded in the history (None when already confirmed today), and
    their digests count as answered. Who may do it is the caller's check."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    before = document_of(locked)
    locked.reviewed_at = today or timezone.localdate()
    locked.save(update_fields=["reviewed_at", "updated_at"])
    record_answer(user)
    return record_change(locked, before, actor=user, via=via, note=CONFIRM_NOTE)


def snooze(integration: Integration, user: Any, until: dt.date, reason: str) -> ReviewSnooze:
    return ReviewSnooze.objects.create(integration=integration, until=until, reason=reason, created_by=user)


def active_snooze(integration: Integration, today: dt.date) -> ReviewSnooze | None:
    return integration.review_snoozes.filter(until__gt=today).order_by("-until").first()
