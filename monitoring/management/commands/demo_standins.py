from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from monitoring.demo_standins import DemoPlatform, serve


class Command(BaseCommand):
    help = (
        "Serve the demo's newer platforms (Azure Logic Apps, SAP Integration Suite, Informatica, a JSON run API) "
        "as stand-ins on 127.0.0.1 until stopped (demo only; bin/run starts it)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())

        def started(platform: DemoPlatform) -> None:
            self.stdout.write(f"{platform.name} for {platform.account}: " + ", ".join(filter(None, platform.urls())))
            self.stdout.flush()

        serve(stop, now=timezone.now, started=started)
        self.stdout.write("Demo stand-ins stopped.")
