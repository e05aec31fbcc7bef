"""Confirming a workaround run, three ways: the Done button (roles, CSRF), the reminder's signed
link (no login; tampered and expired links refused), and a ping to the workaround's own URL
(hostile bodies refused, nothing written). Each run is confirmed once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalog.models import WorkaroundRun
from catalog.workarounds import links
from catalog.workarounds.reminders import send_workaround_reminders
from catalog.workarounds.runs import current_due
from tests.catalog.workaround_support import (
    ADMIN,
    OTHER_OWNER,
    OWNER,
    PERFORMER,
    VIEWER,
    client_as,
    deferred_integration,
)
from tests.pages.estate import make_user
from tests.racing import racing

pytestmark = pytest.mark.django_db


def done(client: Client, key: str = "chargebee-invoices-to-netsuite", **data: str):
    return client.post(f"/integrations/{key}/workaround/done/", data, follow=True)


def confirmed() -> list[WorkaroundRun]:
    return list(WorkaroundRun.objects.filter(confirmed_at__isnull=False))


# --- the Done button ---------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "role"), [(ADMIN, "admin"), (OWNER, "owner"), (PERFORMER, "viewer")])
def test_the_performer_the_owner_and_admins_may_confirm_on_the_page(email, role):
    integration = deferred_integration()
    response = done(client_as(email, role), hours="1.5", note="late file")
    assert "is done" in response.content.decode()
    [run] = confirmed()
    assert run.due_at == current_due(integration, timezone.now())
    assert (run.confirmed_via, run.confirmed_by, run.hours, run.note) == ("page", email, 1.5, "late file")


@pytest.mark.parametrize(("email", "role"), [(VIEWER, "viewer"), (OTHER_OWNER, "owner")])
def test_viewers_and_owners_of_other_integrations_may_not_confirm(email, role):
    deferred_integration()
    response = done(client_as(email, role))
    assert response.status_code == 403
    assert not WorkaroundRun.objects.exists()


def test_confirming_needs_a_login_and_a_post():
    deferred_integration()
    assert Client().post("/integrations/chargebee-invoices-to-netsuite/workaround/done/").status_code == 302
    assert (
        client_as(ADMIN, "admin").get("/integrations/chargebee-invoices-to-netsuite/workaround/done/").status_code
        == 405
    )
    assert not WorkaroundRun.objects.exists()


def test_the_done_form_is_csrf_protected():
    deferred_integration()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(ADMIN, "admin"))
    assert client.post("/integrations/chargebee-invoices-to-netsuite/workaround/done/").status_code == 403
    assert not WorkaroundRun.objects.exists()


def test_confirming_twice_keeps_one_confirmation_the_first():
    deferred_integration()
    admin = client_as(ADMIN, "admin")
    done(admin, hours="2")
    second = done(client_as(OWNER, "owner"), hours="9")
    assert "already confirmed; nothing changed" in second.content.decode()
    [run] = confirmed()
    assert (run.confirmed_by, run.hours) == (ADMIN, 2.0)


@pytest.mark.parametrize("hours", ["-1", "many", "1e7"])
def test_bad_hours_on_the_page_confirm_nothing(hours):
    deferred_integration()
    response = done(client_as(ADMIN, "admin"), hours=hours)
    assert "Nothing was confirmed" in response.content.decode()
    assert not confirmed()


def test_an_integration_without_a_cadence_has_nothing_to_confirm():
    deferred_integration(every="")
    response = done(client_as(ADMIN, "admin"))
    assert "declares no workaround.every" in response.content.decode()
    assert not WorkaroundRun.objects.exists()


# --- the reminder and its signed link ------------------------------------------------------------


def remind():
    integration = deferred_integration()
    due = current_due(integration, timezone.now())
    report = send_workaround_reminders(now=max(due, timezone.now()))
    assert report.sent == 1
    [message] = mail.outbox
    link = next(word for word in message.body.split() if "/workaround/confirm/" in word)
    return integration, message, link.removeprefix("http://127.0.0.1:8000")


def test_the_reminder_goes_to_the_performer_with_a_link_that_confirms_without_login():
    integration, message, path = remind()
    assert message.to == [PERFORMER]
    assert "is due today" in message.subject and integration.display_name in message.subject
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200 and "not confirmed yet" in page.content.decode()
    answer = anonymous.post(path, {"hours": "0.75", "note": "done at 10"})
    assert answer.status_code == 200 and "Confirmed" in answer.content.decode()
    [run] = confirmed()
    assert (run.confirmed_via, run.confirmed_by, run.hours, run.note) == ("link", PERFORMER, 0.75, "done at 10")
    again = anonymous.post(path, {"hours": "5"})
    assert "already confirmed" in again.content.decode()
    assert WorkaroundRun.objects.get().hours == 0.75


def test_a_reminder_is_sent_once_per_run():
    remind()
    assert send_workaround_reminders().sent == 0
    assert len(mail.outbox) == 1


def test_a_confirmed_run_is_not_reminded_of():
    integration = deferred_integration()
    done(client_as(ADMIN, "admin"))
    due = current_due(integration, timezone.now())
    assert send_workaround_reminders(now=max(due, timezone.now())).sent == 0
    assert mail.outbox == []


def test_a_tampered_link_is_refused_and_confirms_nothing():
    _, _, path = remind()
    token = path.split("/")[-2]
    forged = links._signer().sign_object({"w": WorkaroundRun.objects.get().pk + 1})
    for bad in (path.replace(token, token[:-2] + "xx"), f"/workaround/confirm/{forged[:-1]}x/"):
        response = Client().post(bad, {"hours": "1"})
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not confirmed()


def test_an_expired_link_is_refused_with_410(monkeypatch):
    _, _, path = remind()
    monkeypatch.setattr(links, "LINK_DAYS", -1)
    response = Client().post(path, {"hours": "1"})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not confirmed()


def test_bad_hours_on_the_confirm_page_confirm_nothing():
    _, _, path = remind()
    response = Client().post(path, {"hours": "-3"})
    assert response.status_code == 400 and "Nothing was confirmed" in response.content.decode()
    assert not confirmed()


@pytest.mark.django_db(transaction=True)
def test_two_passes_racing_send_the_reminder_once():
    integration = deferred_integration()
    now = max(current_due(integration, timezone.now()), timezone.now())
    reports = racing(lambda: send_workaround_reminders(now=now))
    assert sorted(r.sent for r in reports) == [0, 1]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [PERFORMER]
    assert WorkaroundRun.objects.get().reminder_sent_at == now


# --- the ping ------------------------------------------------------------------------------------


def ping(integration, body: bytes | str = b"", **extra):
    return Client().post(
        f"/workaround/{integration.workaround_uuid}/done", body, content_type="application/json", **extra
    )


def test_a_ping_confirms_the_current_run_with_hours_and_note():
    integration = deferred_integration()
    response = ping(integration, json.dumps({"hours": 1.5, "note": "script ran"}))
    assert response.status_code == 200
    answer = response.json()
    assert answer["integration"] == integration.key and answer["already_confirmed"] is False
    [run] = confirmed()
    assert (run.confirmed_via, run.confirmed_by, run.hours, run.note) == ("ping", "", 1.5, "script ran")
    assert ping(integration).json()["already_confirmed"] is True
    assert len(confirmed()) == 1


def test_an_empty_ping_confirms_without_hours():
    integration = deferred_integration()
    assert ping(integration).status_code == 200
    assert confirmed()[0].hours is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"hours": -1}', "hours must be a number of hours"),
        ('{"hours": "1.5"}', "hours must be a number of hours"),
        ('{"hours": true}', "hours must be a number of hours"),
        ('{"hours": 1e300}', "too large"),
        ('{"hours": NaN}', "hours must be a number of hours"),
        ('{"minutes": 5}', "unknown field 'minutes'"),
        ('{"note": 5}', "note must be text"),
        ('{"note": "a\\u0000b"}', "NUL"),
        ('{"note": "\\ud800"}', "invalid Unicode"),
        ('{"note": "' + "x" * 501 + '"}', "at most 500"),
        ("[1.5]", "must be a JSON object"),
        ("hours=1.5", "not JSON"),
        ("[" * 100_000, "413"),
    ],
)
def test_hostile_ping_bodies_are_refused_and_write_nothing(body, message):
    integration = deferred_integration()
    response = ping(integration, body)
    if message == "413":
        assert response.status_code == 413
    else:
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not WorkaroundRun.objects.exists()


def test_a_body_over_the_limit_is_refused_by_its_declared_length():
    integration = deferred_integration()
    response = ping(integration, b'{"note": "' + b"x" * 5000 + b'"}')
    assert response.status_code == 413
    assert not WorkaroundRun.objects.exists()


def test_an_unknown_uuid_is_404_whatever_the_body():
    deferred_integration()
    response = Client().post(
        "/workaround/6f1c1f7e-2a51-4b55-9f19-1d6f5a3b9c11/done", "{bad", content_type="application/json"
    )
    assert response.status_code == 404
    assert not WorkaroundRun.objects.exists()


def test_the_heartbeat_uuid_does_not_confirm_a_workaround():
    integration = deferred_integration()
    response = Client().post(f"/workaround/{integration.ping_uuid}/done")
    assert response.status_code == 404


def test_a_ping_is_a_post():
    integration = deferred_integration()
    assert Client().get(f"/workaround/{integration.workaround_uuid}/done").status_code == 405


def test_a_ping_without_a_cadence_is_409():
    integration = deferred_integration(every="")
    assert ping(integration).status_code == 409
    assert not WorkaroundRun.objects.exists()


def test_a_link_to_a_run_whose_day_has_passed_says_it_was_missed_and_still_confirms_it():
    integration = deferred_integration()
    run = WorkaroundRun.objects.create(
        integration=integration, due_at=current_due(integration, timezone.now()) - dt.timedelta(days=3)
    )
    path = f"/workaround/confirm/{links.make_token(run.pk)}/"
    assert "missed" in Client().get(path).content.decode()
    assert Client().post(path, {"hours": "1"}).status_code == 200
    run.refresh_from_db()
    assert run.confirmed_via == "link" and run.hours == 1.0
