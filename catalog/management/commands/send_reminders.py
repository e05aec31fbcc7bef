"""`manage.py send_reminders`: one reminder pass, exactly as the daily beat task runs it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.reminders import send_reminders
from catalog.rules.finding import plural


class Command(BaseCommand):
    help = "Send this period's stale-spec digests that have not been sent yet (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = send_reminders()
        self.stdout.write(
            f"Reminder period from {report.period_start}: {plural(report.owners, 'owner')} with something to review; "
            f"{plural(report.sent, 'digest')} sent ({report.copied} copying a manager), "
            f"{report.skipped} already sent, {report.failed} failed."
        )
