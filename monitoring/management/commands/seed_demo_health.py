from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from monitoring.demo import seed_demo_health


class Command(BaseCommand):
    help = "Record two days of made-up run history for the demo estate's live integrations (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = seed_demo_health()
        self.stdout.write(f"Demo health history recorded for {count} integrations.")
