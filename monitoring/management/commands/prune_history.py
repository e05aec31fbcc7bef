"""manage.py prune_history [--days N]: forget runs, flips, alerts and resolved failed records older than N days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring import conf
from monitoring.health.retention import prune_history


class Command(BaseCommand):
    help = (
        "Delete runs, flips with their alerts, resolved failed records and resolved re-sync requests older "
        "than N days (default PLUMBLINE_HISTORY_DAYS). Each source's latest run and runs with open failed "
        "records are kept. The nightly beat task does the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="days of history to keep (0: keep everything)")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be 0 (keep everything) or more")
        days = conf.history_days() if days is None else days
        if days == 0:
            self.stdout.write("Keeping all history (0 days).")
            return
        report = prune_history(days=days)
        self.stdout.write(f"Deleted what was older than {days} days: {report}.")
