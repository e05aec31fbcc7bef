"""The reminder of a workaround run, sent on its due day to `workaround.performed_by` with a signed
link that confirms it. The hourly beat task and `send_workaround_reminders()` are the same pass.

Each run's reminder is claimed before it is sent, by a conditional UPDATE of its row
(reminder_sent_at from empty to now): of many workers running the pass at once exactly one changes
the row, and only that one sends. A send that fails empties reminder_sent_at again so a later pass
retries; a run already confirmed is not reminded of."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalog.choices import Lifecycle, Phase
from catalog.models import Integration, WorkaroundRun
from catalog.reminders import conf
from catalog.workarounds.links import LINK_DAYS, confirm_url, make_token
from catalog.workarounds.runs import cadence_for, run_row

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkaroundReminderReport:
    due_today: int  # runs due today whose time has come, with someone to remind
    sent: int
    skipped: int  # already reminded (by this or another worker) or already confirmed
    failed: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reminded_integrations() -> list[Integration]:
    """Phase-two workarounds with a cadence and an active performer to remind."""
    return list(
        Integration.objects.filter(phase=Phase.PHASE_TWO, workaround_performed_by__active=True)
        .exclude(workaround_every="")
        .exclude(lifecycle=Lifecycle.RETIRED)
        .select_related("workaround_performed_by", "sync_calendar")
        .order_by("key")
    )


def send_workaround_reminders(*, now: dt.datetime | None = None) -> WorkaroundReminderReport:
    """Remind each performer of the run due today once its due time has come; each run once."""
    now = now or timezone.now()
    due_today = sent = skipped = failed = 0
    for integration in reminded_integrations():
        cadence = cadence_for(integration)
        due = cadence.current(now) if cadence else None
        if cadence is None or due is None or due > now or cadence.local_day(due) != cadence.local_day(now):
            continue
        due_today += 1
        run = run_row(integration, due)
        claimed = WorkaroundRun.objects.filter(pk=run.pk, reminder_sent_at=None, confirmed_at=None).update(
            reminder_sent_at=now
        )
        if not claimed:
            skipped += 1
            continue
        try:
            compose(integration, run).send()
        except Exception:  # any failure to build or send: release the claim, a later pass retries
            logger.exception("workaround reminder for %s due %s failed", integration.key, due.isoformat())
            WorkaroundRun.objects.filter(pk=run.pk, reminder_sent_at=now).update(reminder_sent_at=None)
            failed += 1
            continue
        sent += 1
    return WorkaroundReminderReport(due_today, sent, skipped, failed)


def compose(integration: Integration, run: WorkaroundRun) -> EmailMessage:
    """The reminder: what to do, and the signed link that confirms it (hours optional)."""
    performer = integration.workaround_performed_by
    assert performer is not None  # reminded_integrations() has one
    cadence = cadence_for(integration)
    context = {
        "integration": integration,
        "person": performer,
        "due_day": cadence.local_day(run.due_at) if cadence else run.due_at.date(),
        "cadence": cadence.describe() if cadence else "",
        "confirm_url": confirm_url(make_token(run.pk)),
        "page_url": conf.base_url() + reverse("integration-detail", args=[integration.key]),
        "link_days": LINK_DAYS,
    }
    body = render_to_string("emails/workaround_reminder.txt", context)
    subject = f"Plumbline: the workaround for {integration.display_name} is due today"
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [performer.email])
