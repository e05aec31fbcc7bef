"""manage.py check_health [KEY...]: apply pending pings, poll now, synchronously, and print each
integration's health state. Without keys it is one full pass of what beat does for health: pending
pings, polls, lateness, platform discovery (undocumented connections) and alert delivery."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS
from catalog.models import Integration
from monitoring.alerting.delivery import send_pending
from monitoring.alerting.planning import plan_pending
from monitoring.health.pipeline import resettle
from monitoring.health.specs import sync_sources
from monitoring.ingest.discovery import discover_platforms
from monitoring.ingest.pending import apply_pending_pings
from monitoring.ingest.polling import poll_source
from monitoring.models import HealthSource


class Command(BaseCommand):
    help = "Poll the health of integrations now (all monitored ones, or the keys given) and print their state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("keys", nargs="*", help="integration keys (default: every monitored integration)")

    def handle(self, *args: Any, keys: list[str], **options: Any) -> None:
        if keys:
            known = set(Integration.objects.filter(key__in=keys).values_list("key", flat=True))
            if unknown := sorted(set(keys) - known):
                raise CommandError(f"unknown integration(s): {', '.join(unknown)}")
        sync_sources(keys or None)
        apply_pending_pings()
        sources = HealthSource.objects.select_related("integration").order_by("integration__key")
        if keys:
            sources = sources.filter(integration__key__in=keys)
        width = max((len(s.integration.key) for s in sources), default=10)
        for source in sources:
            key = source.integration.key
            error = ""
            if source.kind in PULLED_HEALTH_KINDS:
                error = poll_source(source.integration_id).error
            with transaction.atomic():
                locked = HealthSource.objects.select_for_update(of=("self",)).select_related("last_run")
                current = locked.get(pk=source.pk)
                resettle(current, timezone.now(), [])
            last = f"{current.last_success_at:%Y-%m-%d %H:%M}" if current.last_success_at else "never"
            line = f"{key:<{width}}  {current.kind:<9}  {current.state:<7}  last success {last}"
            if error:
                line += f"  poll error: {error}"
            self.stdout.write(line)
        for key in keys:
            if not sources.filter(integration__key=key).exists():
                self.stdout.write(f"{key:<{width}}  none       -        not monitored (health kind none)")
        if not keys:
            self._discover_and_alert()

    def _discover_and_alert(self) -> None:
        """What beat does besides polls and lateness: list what runs on each platform account, and
        send the alerts the flips of this pass planned."""
        report = discover_platforms()
        line = f"discovery: {report.accounts} platform account(s) read, {report.seen} process(es) running"
        self.stdout.write(line + "".join(f"; {key}: {error}" for key, error in sorted(report.errors.items())))
        plan_pending()
        self.stdout.write(f"alerts: {send_pending()} sent")
