"""The weekly "what changed" email: on Monday, last week's new critical findings, health flips
into down/failing and back, the readiness of upcoming go-lives and the specs reviewed, to each
user subscribed on /me/.

What changed is gathered once per pass (a fixed handful of queries, however many subscribers).
Each email is claimed before it is sent by creating its WeeklyEmail row, unique per user and week:
of many workers running a pass at once exactly one creates it, and only that one sends. A failed
send deletes the row again, so a later pass retries it. A week with nothing new is still sent,
saying so plainly: a quiet week is news too, and the reader knows the email was not lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from catalog.choices import HealthState
from catalog.health import FlipFact, health_page_path, read_flips
from catalog.models import (
    ChangeRecord,
    GoLive,
    Integration,
    SignOff,
    StoredFinding,
    WeeklyEmail,
    WeeklySubscription,
)
from catalog.models.findings import Severity, SubjectType, finding_title
from catalog.readiness.load import readiness_by_golive
from catalog.reminders import conf
from catalog.rules.finding import plural
from catalog.rules.store import waived_findings

logger = logging.getLogger(__name__)

# A flip worth a line: into one of these, or out of one of them (a recovery).
BAD_STATES = frozenset({HealthState.DOWN, HealthState.FAILING})
# At most this many upcoming go-lives are listed.
GOLIVES_SHOWN = 10


def week_of(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole week (Monday to Sunday) before the week `today` is in: (its Monday, the next Monday)."""
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(days=7), this_monday


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Line:
    """One line of the email: what happened, and where to look (an absolute URL)."""

    text: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class WeekReport:
    week_start: dt.date
    week_end: dt.date  # the Sunday
    critical: list[Line] = field(default_factory=list)
    flips: list[Line] = field(default_factory=list)
    golives: list[Line] = field(default_factory=list)
    reviewed: list[Line] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """Nothing new happened: no critical finding, no flip, no review (go-lives are a standing list)."""
        return not (self.critical or self.flips or self.reviewed)

    def summary(self) -> dict[str, int]:
        return {
            "critical": len(self.critical),
            "flips": len(self.flips),
            "golives": len(self.golives),
            "reviewed": len(self.reviewed),
        }


def _url(base: str, name: str, *args: str, query: dict[str, str] | None = None) -> str:
    path = reverse(name, args=args)
    return f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"


def new_critical(base: str, since: dt.datetime, until: dt.datetime, today: dt.date) -> list[Line]:
    """Critical findings first seen in the week and still open (not waived); one query."""
    found = StoredFinding.objects.filter(
        severity=Severity.CRITICAL, first_seen_at__gte=since, first_seen_at__lt=until
    ).exclude(pk__in=waived_findings(today).values("pk"))
    findings = list(found.order_by("first_seen_at", "code", "subject_key"))
    keys = {f.subject_key for f in findings if f.subject_type == SubjectType.INTEGRATION}
    names = dict(Integration.objects.filter(key__in=keys).values_list("key", "name")) if keys else {}
    lines = []
    for finding in findings:
        if finding.subject_type == SubjectType.INTEGRATION and finding.subject_key:
            url = _url(base, "integration-detail", finding.subject_key)
        else:
            url = _url(base, "findings", query={"code": finding.code})
        subject = names.get(finding.subject_key) or finding.subject_key or "The estate"
        lines.append(Line(f"{subject}: {finding_title(finding.code)} ({finding.code})", url, finding.message))
    return lines


def flip_lines(base: str, flips: list[FlipFact]) -> list[Line]:
    """Flips into down or failing, and back out of them, oldest first."""
    lines = []
    for flip in flips:
        if flip.to_state not in BAD_STATES and flip.from_state not in BAD_STATES:
            continue
        path = health_page_path(flip.integration_key) or reverse("integration-detail", args=[flip.integration_key])
        when = timezone.localtime(flip.at).strftime("%a %d %b %H:%M")
        lines.append(Line(f"{flip.integration_name}: {flip.from_state} → {flip.to_state}", base + path, when))
    return lines


def golive_lines(base: str, today: dt.date) -> list[Line]:
    """The next go-lives (from today) with their readiness, soonest first."""
    signed = SignOff.objects.filter(golive=OuterRef("pk"))
    golives = list(
        GoLive.objects.filter(date__gte=today).annotate(signed=Exists(signed)).order_by("date", "key")[:GOLIVES_SHOWN]
    )
    readiness = readiness_by_golive([g.pk for g in golives], today)
    lines = []
    for golive in golives:
        ready = readiness.get(golive.pk)
        percent = f"{ready.percent}% ready" if ready else "no readiness yet"
        state = "signed off" if golive.signed else plural(len(ready.blockers) if ready else 0, "blocker")
        days = (golive.date - today).days if golive.date else 0
        lines.append(
            Line(
                f"{golive.name or golive.key} on {golive.date}: {percent}",
                _url(base, "golive-detail", golive.key),
                f"in {plural(days, 'day')}; {state}",
            )
        )
    return lines


def reviewed_on(record: ChangeRecord) -> dt.date | None:
    """The review date a change set, or None when it left the date alone (or holds none that reads)."""
    after: dict[str, Any] = record.after or {}
    before: dict[str, Any] = record.before or {}
    if not after.get("reviewed_at") or after.get("reviewed_at") == before.get("reviewed_at"):
        return None
    try:
        return dt.date.fromisoformat(str(after["reviewed_at"]))
    except ValueError:
        return None


def reviewed_lines(base: str, start: dt.date, end: dt.date) -> list[Line]:
    """Integrations reviewed in the week: a change in the week's history that set a review date
    within the week (confirming on the page, the review link, the API or an import), one line each.
    Importing a spec reviewed months ago is not a review this week."""
    records = (
        ChangeRecord.objects.filter(kind="Integration", at__gte=local_midnight(start), at__lt=local_midnight(end))
        .exclude(action=ChangeRecord.Action.DELETE)
        .select_related("actor")
        .order_by("at", "id")
    )
    seen: dict[str, Line] = {}
    for record in records:
        day = reviewed_on(record)
        if day is None or not start <= day < end:
            continue
        who = f"by {record.actor.email or record.actor.get_username()}" if record.actor else f"through the {record.via}"
        name = (record.after or {}).get("name") or record.key
        seen[record.key] = Line(f"{name} reviewed", _url(base, "integration-detail", record.key), f"{who} on {day}")
    return list(seen.values())


def what_changed(today: dt.date) -> WeekReport:
    """Last week's changes, for every subscriber alike."""
    base = conf.base_url()
    start, end = week_of(today)
    since, until = local_midnight(start), local_midnight(end)
    return WeekReport(
        week_start=start,
        week_end=end - dt.timedelta(days=1),
        critical=new_critical(base, since, until, today),
        flips=flip_lines(base, read_flips(since, until)),
        golives=golive_lines(base, today),
        reviewed=reviewed_lines(base, start, end),
    )


@dataclass(frozen=True)
class WeeklyPassReport:
    week_start: str
    subscribers: int
    sent: int
    skipped: int  # already sent this week (by this or another worker)
    failed: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def send_weekly_changes(*, now: dt.datetime | None = None) -> WeeklyPassReport:
    """Send last week's email to every subscriber not yet sent it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, _ = week_of(today)
    subscribers = [
        sub.user
        for sub in WeeklySubscription.objects.select_related("user").filter(user__is_active=True).order_by("user_id")
        if sub.user.email
    ]
    if not subscribers:
        return WeeklyPassReport(start.isoformat(), 0, 0, 0, 0)
    done = set(WeeklyEmail.objects.filter(week_start=start).values_list("user_id", flat=True))
    report = what_changed(today)
    sent = skipped = failed = 0
    for user in subscribers:
        claimed = None if user.pk in done else claim(user, start, now, report)
        if claimed is None:
            skipped += 1
            continue
        try:
            compose(user, report).send()
        except Exception:  # any failure to build or send: release the claim, a later pass retries
            logger.exception("weekly email to %s for %s failed", user.email, start.isoformat())
            WeeklyEmail.objects.filter(pk=claimed.pk, sent_at=None).delete()
            failed += 1
            continue
        WeeklyEmail.objects.filter(pk=claimed.pk).update(sent_at=now)
        sent += 1
    return WeeklyPassReport(start.isoformat(), len(subscribers), sent, skipped, failed)


def claim(user: Any, start: dt.date, now: dt.datetime, report: WeekReport) -> WeeklyEmail | None:
    """The new WeeklyEmail row, or None when another pass already claimed this user's week."""
    try:
        with transaction.atomic():
            return WeeklyEmail.objects.create(user=user, week_start=start, claimed_at=now, summary=report.summary())
    except IntegrityError:
        return None


def subject_of(report: WeekReport) -> str:
    if report.quiet:
        return f"Plumbline: a quiet week ({report.week_start:%d %b} to {report.week_end:%d %b})"
    parts = [
        plural(len(report.critical), "new critical finding"),
        plural(len(report.flips), "health flip"),
        plural(len(report.reviewed), "spec reviewed", "specs reviewed"),
    ]
    return f"Plumbline, week of {report.week_start:%d %b}: {', '.join(parts)}"


def compose(user: Any, report: WeekReport) -> EmailMultiAlternatives:
    """Plain text with an HTML alternative; every link absolute (PLUMBLINE_BASE_URL)."""
    base = conf.base_url()
    context = {
        "report": report,
        "user": user,
        "dashboard_url": base + reverse("dashboard"),
        "me_url": base + reverse("me"),
    }
    text = render_to_string("emails/weekly_changes.txt", context)
    html = render_to_string("emails/weekly_changes.html", context)
    message = EmailMultiAlternatives(subject_of(report), text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message
