"""`manage.py snapshot_estate`: today's estate snapshot, exactly as the daily beat task takes it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.rules.finding import plural
from catalog.trend.snapshot import take_snapshot, trend_days


class Command(BaseCommand):
    help = "Store today's estate snapshot (replacing today's if taken already) and prune old ones."

    def handle(self, *args: Any, **options: Any) -> None:
        report = take_snapshot()
        self.stdout.write(
            f"Estate snapshot for {report.taken_on} stored; "
            f"{plural(report.pruned, 'snapshot')} older than {trend_days()} days pruned."
        )
