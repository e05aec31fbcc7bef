from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from catalog.demo import estate
from catalog.demo.trend import seed_trend
from catalog.spec.importer import ImportFailed


class Command(BaseCommand):
    help = (
        "Load the demo estate (Halvard Outdoor) through the spec importer. Running it again the same day "
        "changes nothing; data that is not the demo's is never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="the day the demo's relative dates count from (default: today)",
        )

    def handle(self, *args: Any, today: dt.date | None = None, **options: Any) -> None:
        day = today or timezone.localdate()
        try:
            report = estate.seed(day)
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(str(error))
            raise CommandError(f"the demo estate has {len(failed.errors)} error(s); nothing was imported") from None
        except estate.DemoConflict as conflict:
            raise CommandError(f"{conflict}; nothing was imported") from None
        seed_trend(day)  # after the import's commit, so today's snapshot counts its findings
        self.stdout.write(f"Demo estate as of {day.isoformat()}: {report.summary()}")
