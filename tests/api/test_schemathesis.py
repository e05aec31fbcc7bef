"""The API fuzzed from its own OpenAPI schema (schemathesis): for every operation, requests
generated from /api/v1/schema/, valid and deliberately invalid, never get a server error, and
every answer has a documented status code, content type, headers and body shape.

The schema is loaded from the running test application, requests go through the real WSGI
handler and middleware as an admin's token, against a small seeded estate. Operations naming a
document are fuzzed twice: with generated keys (mostly 404s) and with the key of a seeded
document, so bodies reach validation and writes really happen. Nothing is excluded; deletions
run last, so a DELETE that succeeds takes a seeded document only from the deletions after it.

Bounded to stay well under two minutes on SQLite: MAX_EXAMPLES per operation and mode,
derandomized so every run sends the same requests, no shrinking (the first failure is reported
as found) and no Hypothesis example database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import UserRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalog.models import Calendar, Integration, StoredFinding
from catalog.rules.store import refresh_findings
from monitoring.models import ResyncRequest, Run
from plumbline.accounts.tokens import create_token
from tests.api.conftest import OTHER_INTEGRATION, OWN_INTEGRATION, OWNER_EMAIL
from tests.api.monitoring_data import fail, flip_with_alerts, observed, window

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def seeded(estate: None) -> dict[str, str]:
    """The estate of conftest, its findings, runs with failed records, a re-sync, a flip with alerts, a
    maintenance window and an observed connection; the path parameter naming one of each collection."""
    refresh_findings()
    now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    own = Integration.objects.get(key=OWN_INTEGRATION)
    first = Run.objects.create(
        integration=own,
        external_id="r-42",
        source_kind="celigo",
        status="success",
        started_at=now - dt.timedelta(minutes=2),
        finished_at=now,
        run_at=now,
        records_in=10,
        records_out=10,
        records_failed=0,
        message="ok",
    )
    Run.objects.create(
        integration=Integration.objects.get(key=OTHER_INTEGRATION),
        external_id="r-43",
        source_kind="http",
        status="failed",
        run_at=now,
    )
    records = fail(OWN_INTEGRATION, "r-44", "INV-1", "INV-2")
    resync = ResyncRequest.objects.create(
        integration=own, method="manual", status="manual", requested_at=now, note="send again by hand"
    )
    resync.failed_records.set(records[1:])
    flip = flip_with_alerts(OWN_INTEGRATION)
    planned = window("netsuite", starts=dt.timedelta(hours=1), ends=dt.timedelta(hours=2))
    seen = observed("celigo-prod", "flow-9", "Unknown flow")
    finding = StoredFinding.objects.order_by("pk").first()
    assert finding is not None
    Calendar.objects.create(key="finance-de", holidays=["2026-12-25"])
    return {
        "/api/v1/people/": OWNER_EMAIL,
        "/api/v1/systems/": "netsuite",
        "/api/v1/calendars/": "finance-de",
        "/api/v1/data-objects/": "customer",
        "/api/v1/platform-accounts/": "celigo-prod",
        "/api/v1/integrations/": OWN_INTEGRATION,
        "/api/v1/golives/": "netsuite-go-live",
        "/api/v1/value-maps/": "coa-chargebee-to-netsuite",
        "/api/v1/findings/": str(finding.pk),
        "/api/v1/runs/": str(first.pk),
        "/api/v1/failed-records/": str(records[0].pk),
        "/api/v1/resyncs/": str(resync.pk),
        "/api/v1/flips/": str(flip.pk),
        "/api/v1/alerts/": str(flip.alerts.order_by("pk")[0].pk),
        "/api/v1/maintenance-windows/": str(planned.pk),
        "/api/v1/observed-connections/": str(seen.pk),
    }


@pytest.fixture
def admin_headers(users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # Hundreds of requests in a few seconds would otherwise meet the per-user rate limit.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": None})
    _, raw = create_token(users["admin"])
    return {"Authorization": f"Token {raw}"}


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application inside the test's transaction: as Django's test client does,
    a request must not close the connection the test runs in."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], path: dict[str, str] | None) -> str | None:
    """Fuzz one operation in one mode; the failure schemathesis reports, or None."""

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    label = f"{operation.method.upper()} {operation.path} ({mode.value}{', seeded ' + str(path) if path else ''})"
    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE and operation.path_parameters:
            # Nothing to make invalid: a key path parameter ([^/]+) admits whatever a path segment
            # holds, and the operation has no query or body.
            return None
        return f"{label}: no cases could be generated"
    except (Exception, FailureGroup) as failure:  # report it, then go on to the next operation
        return f"{label}: {failure}"
    return None


def seeded_parameters(operation: Any, seeded: dict[str, str]) -> dict[str, str] | None:
    names = [parameter.name for parameter in operation.path_parameters]
    collection = next((prefix for prefix in seeded if operation.path.startswith(prefix)), None)
    if len(names) != 1 or collection is None:
        return None
    return {names[0]: seeded[collection]}


def test_the_api_answers_as_its_schema_says(
    wsgi_app: Any, seeded: dict[str, str], admin_headers: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app, headers=admin_headers)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the schema itself must be valid
        operations.append(result.ok())
    # 8 spec-document kinds x 7, findings and runs x 2, integrations' and value maps' reviewed, go-lives'
    # records x 6, the trend, the change log, reminders and workaround runs x 2 (list, one); monitoring: failed
    # records x 8 (list, detail, 3 actions per record and in bulk), re-syncs x 3, flips x 2, alerts x 3,
    # maintenance windows x 4, observed connections x 2
    assert len(operations) == 97
    # Deletions last, so every other operation still finds the seeded documents (and their runs).
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    failures = []
    for operation in operations:
        known = seeded_parameters(operation, seeded)
        for path in [None, known] if known else [None]:
            failures += [found for mode in MODES if (found := fuzz(operation, mode, admin_headers, path))]
    assert failures == [], "\n\n".join(failures)
