"""One reminder pass: the daily beat task and `manage.py send_reminders` both call send_reminders().

Each digest is claimed before it is sent by creating its Reminder row, unique per owner and
period: of many workers running a pass at once exactly one creates it, and only that one sends.
A send that fails deletes the row again, so a later pass retries it. A worker killed between
claim and send leaves the row claimed and unsent (shown as "sending" on /reminders/): never sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, Person, Reminder, ReviewSnooze, ValueMap
from catalog.reminders import conf
from catalog.reminders.digest import (
    UNANSWERED_BEFORE_COPY,
    DigestItem,
    copies_manager,
    digests_by_owner,
    period_start,
)
from catalog.reminders.links import make_token, review_url
from catalog.rules.engine import evaluate_estate
from catalog.rules.finding import plural
from catalog.rules.store import active_waivers, split_waived
from catalog.value_maps import stale_by_owner
from plumbline import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassReport:
    period_start: str
    owners: int  # owners with something to review this period
    sent: int
    copied: int  # of those sent, how many copied the owner's manager
    skipped: int  # already sent this period (by this or another worker)
    failed: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def send_reminders(*, now: dt.datetime | None = None) -> PassReport:
    """Send every digest due in the current period that nobody has sent yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = period_start(today, conf.reminder_days())
    counted, _ = split_waived(evaluate_estate(now=now), active_waivers(today))
    snoozed = set(ReviewSnooze.objects.filter(until__gt=today).values_list("integration__key", flat=True))
    names = {key: name or key for key, name in Integration.objects.values_list("key", "name")}
    digests = digests_by_owner(counted, names, snoozed)
    maps = stale_by_owner(today, settings.PLUMBLINE_REVIEW_DAYS)  # value maps due for review, by owner
    # Someone who has left gets no mail; OWNER_INACTIVE tells the estate about their specs.
    due = {*digests, *maps}
    owners = list(Person.objects.filter(email__in=due, active=True).select_related("manager").order_by("email"))
    done = set(Reminder.objects.filter(period_start=start).values_list("person_id", flat=True))
    sent = copied = skipped = failed = 0
    for person in owners:
        items = digests.get(person.email, [])
        value_maps = maps.get(person.email, [])
        reminder = None if person.pk in done else claim(person, start, now, items, value_maps)
        if reminder is None:
            skipped += 1
            continue
        try:
            cc = manager_to_copy(person, start)
            compose(person, items, reminder, cc, value_maps).send()
        except Exception:  # any failure to build or send: release the claim, a later pass retries
            logger.exception("reminder to %s for %s failed", person.email, start.isoformat())
            Reminder.objects.filter(pk=reminder.pk, sent_at=None).delete()
            failed += 1
            metrics.REMINDERS_FAILED.inc()
            continue
        Reminder.objects.filter(pk=reminder.pk).update(sent_at=now, cc=cc or "")
        sent += 1
        metrics.REMINDERS_SENT.inc()
        copied += bool(cc)
    return PassReport(start.isoformat(), len(owners), sent, copied, skipped, failed)


def claim(
    person: Person, start: dt.date, now: dt.datetime, items: list[DigestItem], value_maps: Sequence[ValueMap] = ()
) -> Reminder | None:
    """The new Reminder row, or None when another pass already claimed this person's period."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                person=person,
                period_start=start,
                claimed_at=now,
                items=[item.as_json() for item in items] + [value_map_item(m) for m in value_maps],
                stale_count=sum(item.stale is not None for item in items) + len(value_maps),
                finding_count=sum(len(item.findings) for item in items),
            )
    except IntegrityError:
        return None


def last_answer_at(person: Person) -> dt.datetime | None:
    """When the person last answered a digest: opened a review link, confirmed or snoozed a spec
    (Reminder.answered_at), or changed any spec (the change history)."""
    answered = Reminder.objects.filter(person=person).aggregate(at=Max("answered_at"))["at"]
    email = person.email
    changed = ChangeRecord.objects.filter(Q(actor__email__iexact=email) | Q(actor__username__iexact=email)).aggregate(
        at=Max("at")
    )["at"]
    return max((at for at in (answered, changed) if at is not None), default=None)


def manager_to_copy(person: Person, start: dt.date) -> str | None:
    """The manager's email when the owner left the last three digests unanswered, else None."""
    manager = person.manager
    if manager is None or not manager.active or manager.pk == person.pk:
        return None
    latest = Reminder.objects.filter(person=person, period_start__lt=start, sent_at__isnull=False)
    sent = [
        at for at in latest.order_by("-period_start").values_list("sent_at", flat=True)[:UNANSWERED_BEFORE_COPY] if at
    ]
    if len(sent) < UNANSWERED_BEFORE_COPY:
        return None
    return manager.email if copies_manager(sent, last_answer_at(person)) else None


def value_map_item(value_map: ValueMap) -> dict[str, Any]:
    """What the Reminder row keeps of a stale value map (the reminders page links it)."""
    return {"key": value_map.key, "name": str(value_map), "stale": True, "findings": [], "kind": "ValueMap"}


def subject_of(items: list[DigestItem], value_maps: Sequence[ValueMap] = ()) -> str:
    stale = sum(item.stale is not None for item in items)
    others = sum(len(item.findings) for item in items)
    parts = []
    if stale:
        parts.append(f"{plural(stale, 'stale spec')} to review")
    if others:
        parts.append(f"{plural(others, 'open finding')}")
    if value_maps:
        parts.append(f"{plural(len(value_maps), 'value map')} to review")
    where = "your integrations" if items else "your value maps"
    return f"Plumbline: {' and '.join(parts)} on {where}"


def compose(
    person: Person, items: list[DigestItem], reminder: Reminder, cc: str | None, value_maps: Sequence[ValueMap] = ()
) -> EmailMultiAlternatives:
    """The digest email: plain text with an HTML alternative, a signed review link per spec."""
    base = conf.base_url()
    entries = [
        {"item": item, "review_url": review_url(make_token(item.key, reminder.pk)), "edit_url": _edit_url(base, item)}
        for item in items
    ]
    context = {
        "person": person,
        "entries": entries,
        "stale_count": reminder.stale_count,
        "period_start": reminder.period_start,
        "link_days": conf.link_days(),
        "review_days": settings.PLUMBLINE_REVIEW_DAYS,
        "copied": bool(cc),
        "manager": person.manager if cc else None,
        "unanswered": UNANSWERED_BEFORE_COPY,
        "reminders_url": base + reverse("reminder-list"),
        "value_maps": [{"map": m, "url": base + reverse("valuemap-detail", args=[m.key])} for m in value_maps],
    }
    text = render_to_string("emails/review_digest.txt", context)
    html = render_to_string("emails/review_digest.html", context)
    message = EmailMultiAlternatives(
        subject_of(items, value_maps), text, settings.DEFAULT_FROM_EMAIL, [person.email], cc=[cc] if cc else None
    )
    message.attach_alternative(html, "text/html")
    return message


def _edit_url(base: str, item: DigestItem) -> str:
    return base + reverse("integration-edit", args=[item.key])
