"""Platform discovery: every process/recipe/flow/app of each platform account, stored so those no
spec's health.ref names show up as undocumented connections."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx
from django.db import transaction
from django.utils import timezone

from catalog.models import PlatformAccount
from monitoring.models import ObservedConnection
from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget

logger = logging.getLogger(__name__)


@dataclass
class DiscoveryReport:
    accounts: int = 0
    seen: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def discover_platforms(now: dt.datetime | None = None) -> DiscoveryReport:
    from monitoring.platforms import account_throttle, get_adapter
    from monitoring.platforms.outbound import make_client

    now = now or timezone.now()
    report = DiscoveryReport()
    for account in PlatformAccount.objects.all():
        target = PollTarget(
            kind=account.platform,
            base_url=account.base_url,
            account_id=account.account_id,
            secret_env=account.secret_env,
            token_url=account.token_url,
            scope=account.scope,
        )
        try:
            with make_client() as http, account_throttle(target):
                processes = get_adapter(account.platform).discover(target, http)
        except (PollError, httpx.HTTPError, ValueError) as exc:
            logger.warning("discovery of %s failed: %s", account.key, exc)
            report.errors[account.key] = f"{type(exc).__name__}: {exc}"
            continue
        store_discovered(account, processes, now)
        report.accounts += 1
        report.seen += len(processes)
    return report


def store_discovered(account: PlatformAccount, processes: list[DiscoveredProcess], now: dt.datetime) -> None:
    """Upsert what the account lists now; forget what it no longer lists."""
    with transaction.atomic():
        existing = {c.ref: c for c in ObservedConnection.objects.filter(account=account)}
        listed = {p.ref: p for p in processes}
        new = []
        for ref, process in listed.items():
            connection = existing.get(ref)
            if connection is None:
                new.append(
                    ObservedConnection(account=account, ref=ref, name=process.name, first_seen_at=now, last_seen_at=now)
                )
            else:
                connection.name, connection.last_seen_at = process.name, now
                connection.save(update_fields=["name", "last_seen_at"])
        ObservedConnection.objects.bulk_create(new)
        ObservedConnection.objects.filter(account=account).exclude(ref__in=listed).delete()
