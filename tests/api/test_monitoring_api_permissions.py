"""The permission matrix of the monitoring API: every actor against every endpoint and method. Reading is
for any role; acting on an integration's records is for its owner, backup owner and admins; planning and
cancelling a system's maintenance for its owner and admins; a read-only token never writes. A refusal has
the right status and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from catalog.models import ChangeRecord
from monitoring.models import Alert, FailedRecord, MaintenanceWindow, ResyncRequest
from tests.api.conftest import BACKED_UP_INTEGRATION, OTHER_INTEGRATION, OWN_INTEGRATION
from tests.api.monitoring_data import fail, flip_with_alerts, observed, window

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "no_role", "viewer", "owner", "owner_token", "admin", "read_only_token")
READERS = {"viewer", "owner", "owner_token", "admin", "read_only_token"}
H = dt.timedelta(hours=1)

# The owner user owns one integration, backs up another, and has nothing to do with the third.
INTEGRATIONS = {"own": OWN_INTEGRATION, "backed_up": BACKED_UP_INTEGRATION, "other": OTHER_INTEGRATION}
SYSTEMS = {"own": "ana-spare", "other": "raj-spare"}


def refusal(actor: str) -> int:
    return 401 if actor == "anonymous" else 403


def may_act(actor: str, whose: str) -> bool:
    return actor == "admin" or (actor in ("owner", "owner_token") and whose != "other")


@pytest.fixture
def seen(estate: None) -> dict[str, Any]:
    """Failed records, a re-sync request and a flip with alerts for each integration; a window per system."""
    found: dict[str, Any] = {}
    for whose, key in INTEGRATIONS.items():
        records = fail(key, f"run-{whose}", f"{whose}-1", f"{whose}-2")
        resync = ResyncRequest.objects.create(
            integration_id=records[0].integration_id,
            method="manual",
            status="manual",
            requested_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        )
        resync.failed_records.set(records[1:])
        flip = flip_with_alerts(key)
        found[whose] = {"records": records, "resync": resync, "alert": flip.alerts.order_by("pk").first(), "flip": flip}
    for whose, system in SYSTEMS.items():
        found[f"window-{whose}"] = window(system, starts=H, ends=2 * H)
    found["observed"] = observed("celigo-prod", "flow-7")
    return found


def monitoring_state() -> tuple[Any, ...]:
    """Everything an action could change: equal means nothing changed."""
    return (
        list(FailedRecord.objects.order_by("pk").values_list("pk", "acknowledged_at", "resolved_at", "resolution")),
        list(ResyncRequest.objects.order_by("pk").values_list("pk", "status")),
        list(Alert.objects.order_by("pk").values_list("pk", "acknowledged_at")),
        list(MaintenanceWindow.objects.order_by("pk").values_list("pk", flat=True)),
        ChangeRecord.objects.count(),
    )


def reads(seen: dict[str, Any]) -> list[str]:
    return [
        "/api/v1/failed-records/",
        f"/api/v1/failed-records/{seen['own']['records'][0].pk}/",
        "/api/v1/resyncs/",
        f"/api/v1/resyncs/{seen['other']['resync'].pk}/",
        "/api/v1/flips/",
        f"/api/v1/flips/{seen['other']['flip'].pk}/",
        "/api/v1/alerts/",
        f"/api/v1/alerts/{seen['own']['alert'].pk}/",
        "/api/v1/maintenance-windows/",
        f"/api/v1/maintenance-windows/{seen['window-other'].pk}/",
        "/api/v1/observed-connections/",
        f"/api/v1/observed-connections/{seen['observed'].pk}/",
    ]


@pytest.mark.parametrize("actor", ACTORS)
def test_every_list_and_detail_is_read_by_any_role(api, seen, actor):
    client = api(actor)
    for url in reads(seen):
        response = client.get(url)
        assert response.status_code == (200 if actor in READERS else refusal(actor)), url
        if actor in READERS:
            assert response.json(), url


@pytest.mark.parametrize("actor", ACTORS)
def test_lists_without_writes_refuse_every_write(api, seen, actor):
    client = api(actor)
    for url in ("/api/v1/flips/", "/api/v1/observed-connections/"):
        # Read only for everyone: refused before the method is looked at.
        assert client.post(url, {}, format="json").status_code == refusal(actor), url
    for url in ("/api/v1/resyncs/", "/api/v1/failed-records/"):
        # Owners and admins may send actions here, but a list takes no POST.
        expected = 405 if actor in ("owner", "owner_token", "admin") else refusal(actor)
        assert client.post(url, {}, format="json").status_code == expected, url


# Each action: (url and body for the seen objects of `whose`, the status of success).
Action = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
ACTIONS: dict[str, tuple[Action, int]] = {
    "acknowledge record": (lambda s: (f"/api/v1/failed-records/{s['records'][0].pk}/acknowledge/", {}), 200),
    "resolve record": (lambda s: (f"/api/v1/failed-records/{s['records'][0].pk}/resolve/", {"note": "done"}), 200),
    "resync record": (lambda s: (f"/api/v1/failed-records/{s['records'][0].pk}/resync/", {}), 201),
    "acknowledge records": (
        lambda s: ("/api/v1/failed-records/acknowledge/", {"integration": s["key"], "ids": s["ids"]}),
        200,
    ),
    "resolve records": (
        lambda s: ("/api/v1/failed-records/resolve/", {"integration": s["key"], "ids": s["ids"], "note": "x"}),
        200,
    ),
    "resync records": (lambda s: ("/api/v1/failed-records/resync/", {"integration": s["key"], "ids": s["ids"]}), 201),
    "resolve resync": (lambda s: (f"/api/v1/resyncs/{s['resync'].pk}/resolve/", {}), 200),
    "acknowledge alert": (lambda s: (f"/api/v1/alerts/{s['alert'].pk}/acknowledge/", {}), 200),
}


@pytest.mark.parametrize("whose", list(INTEGRATIONS))
@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("actor", ACTORS)
def test_acting_on_an_integrations_health(api, seen, actor, name, whose):
    objects = seen[whose] | {"key": INTEGRATIONS[whose], "ids": [r.pk for r in seen[whose]["records"]]}
    make, success = ACTIONS[name]
    url, body = make(objects)
    before = monitoring_state()
    response = api(actor).post(url, body, format="json")
    if may_act(actor, whose):
        assert response.status_code == success, response.content
        assert monitoring_state() != before
    else:
        assert response.status_code == refusal(actor), response.content
        assert monitoring_state() == before


def new_window(system: str) -> dict[str, Any]:
    return {"system": system, "starts_at": "2030-03-01T22:00", "ends_at": "2030-03-02T02:00", "timezone": "UTC"}


@pytest.mark.parametrize("whose", list(SYSTEMS))
@pytest.mark.parametrize("actor", ACTORS)
def test_planning_maintenance(api, seen, actor, whose):
    before = monitoring_state()
    response = api(actor).post("/api/v1/maintenance-windows/", new_window(SYSTEMS[whose]), format="json")
    if may_act(actor, whose):
        assert response.status_code == 201, response.content
        assert MaintenanceWindow.objects.filter(system__key=SYSTEMS[whose]).count() == 2
    else:
        assert response.status_code == refusal(actor), response.content
        assert monitoring_state() == before


@pytest.mark.parametrize("whose", list(SYSTEMS))
@pytest.mark.parametrize("actor", ACTORS)
def test_cancelling_maintenance(api, seen, actor, whose):
    planned = seen[f"window-{whose}"]
    before = monitoring_state()
    response = api(actor).delete(f"/api/v1/maintenance-windows/{planned.pk}/")
    if may_act(actor, whose):
        assert response.status_code == 204, response.content
        assert not MaintenanceWindow.objects.filter(pk=planned.pk).exists()
    else:
        assert response.status_code == refusal(actor), response.content
        assert monitoring_state() == before


@pytest.mark.parametrize("actor", ACTORS)
def test_windows_are_never_edited_in_place(api, seen, actor):
    planned = seen["window-own"]
    for method in ("put", "patch"):
        response = getattr(api(actor), method)(f"/api/v1/maintenance-windows/{planned.pk}/", {}, format="json")
        assert response.status_code == (405 if may_act(actor, "own") else refusal(actor)), method
