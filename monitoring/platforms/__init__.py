"""Health adapters, one module per source kind; each has poll() and discover() (see contract.Adapter),
and those whose platform can send failed records again also have replay() (contract.Replayer).

Adapters only talk HTTP through monitoring.platforms.outbound and return plain values; they never touch
the database.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from catalog.choices import HealthKind, Platform
from monitoring.platforms import throttle
from monitoring.platforms.azure_logic_apps import adapter as azure_logic_apps
from monitoring.platforms.boomi import LIMITS as BOOMI_LIMITS
from monitoring.platforms.boomi import adapter as boomi
from monitoring.platforms.celigo import adapter as celigo
from monitoring.platforms.contract import Adapter, PollError, PollTarget, Replayer
from monitoring.platforms.http import adapter as http
from monitoring.platforms.informatica import adapter as informatica
from monitoring.platforms.json_runs import adapter as json_runs
from monitoring.platforms.mulesoft import adapter as mulesoft
from monitoring.platforms.sap_integration_suite import adapter as sap_integration_suite
from monitoring.platforms.workato import LIMITS as WORKATO_LIMITS
from monitoring.platforms.workato import adapter as workato

ADAPTERS: dict[str, Adapter] = {
    HealthKind.HTTP: http,
    Platform.BOOMI: boomi,
    Platform.WORKATO: workato,
    Platform.CELIGO: celigo,
    Platform.MULESOFT: mulesoft,
    Platform.AZURE_LOGIC_APPS: azure_logic_apps,
    Platform.SAP_INTEGRATION_SUITE: sap_integration_suite,
    Platform.INFORMATICA: informatica,
    HealthKind.JSON: json_runs,
}

# Celigo retries flow errors, Workato repeats jobs; the rest say why a re-sync stays manual.
REPLAYERS: dict[str, Replayer] = {Platform.CELIGO: celigo, Platform.WORKATO: workato}
NO_REPLAY: dict[str, str] = {
    HealthKind.HEARTBEAT: "a heartbeat integration reports to Plumbline, which cannot ask it to send records again",
    HealthKind.HTTP: http.NO_REPLAY,
    Platform.BOOMI: boomi.NO_REPLAY,
    Platform.MULESOFT: mulesoft.NO_REPLAY,
    Platform.AZURE_LOGIC_APPS: azure_logic_apps.NO_REPLAY,
    Platform.SAP_INTEGRATION_SUITE: sap_integration_suite.NO_REPLAY,
    Platform.INFORMATICA: informatica.NO_REPLAY,
    HealthKind.JSON: json_runs.NO_REPLAY,
}


# The vendors' documented rate limits, kept per account by monitoring/platforms/throttle.py.
LIMITS: dict[str, tuple[throttle.Limit, ...]] = {
    Platform.BOOMI: BOOMI_LIMITS,
    Platform.WORKATO: WORKATO_LIMITS,
}


def account_throttle(target: PollTarget) -> AbstractContextManager[None]:
    """Run an adapter's calls inside this: they keep to its platform's limits for the target's account."""
    key = "|".join((target.kind, target.base_url.rstrip("/"), target.account_id))
    return throttle.account(key, LIMITS.get(target.kind, ()))


def get_adapter(kind: str) -> Adapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise PollError(f"no health adapter for kind {kind!r}") from None


def get_replayer(kind: str) -> Replayer | None:
    """The adapter that can replay failed records for this kind, or None (see no_replay_reason)."""
    return REPLAYERS.get(kind)


def no_replay_reason(kind: str) -> str:
    return NO_REPLAY.get(kind, f"health kind {kind!r} has no replay API")
