"""/golives/ and /golives/<key>/: who may see, attest and sign off; sign-off refused while
blocked unless overridden with a reason; the history; the CSV; query counts that do not grow with
the number of integrations in scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Attestation, GoLive, GoLiveIntegration, Integration, SignOff, StoredFinding, Waiver
from catalog.readiness import ITEMS
from monitoring.models import HealthSource
from tests.catalog.test_readiness_support import OWNER, ready_golive, ready_integration, users

pytestmark = pytest.mark.django_db

KEY = "netsuite-go-live"
URL = f"/golives/{KEY}/"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def crew():
    return users()


@pytest.fixture
def client_for(crew):
    def login(who: str | None) -> Client:
        client = Client()
        if who is not None:
            client.force_login(crew[who])
        return client

    return login


def first_integration(golive: GoLive) -> Integration:
    return golive.scope.select_related("integration").first().integration  # type: ignore[union-attr]


def attestation_form(integration: Integration, **overrides: str) -> dict[str, str]:
    values = {
        "integration": integration.key,
        "item": "failure-simulation",
        "performed_by": "Raj Patel",
        "performed_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "evidence_url": "https://tickets.example.com/OPS-42",
    }
    values.update(overrides)
    return values


# Seeing the pages


@pytest.mark.parametrize("path", ["/golives/", URL])
def test_readiness_pages_need_a_login(client, path):
    ready_golive()
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_without_a_role_may_not_see_readiness(client_for):
    ready_golive()
    assert client_for("no_role").get(URL).status_code == 403


def test_any_role_sees_the_checklist_blockers_and_percentage(client_for):
    golive = ready_golive(2)
    integration = first_integration(golive)
    Integration.objects.filter(pk=integration.pk).update(error_surface="log-file")
    response = client_for("viewer").get(URL)
    assert response.status_code == 200
    readiness = response.context["readiness"]
    assert readiness.blockers == ("Integration 000: failures only reach a log file",)
    assert readiness.percent == 94  # 17 of 18 items that apply
    body = response.content.decode()
    # Blockers are grouped by integration, each naming its item and linking to its row.
    anchor = f"#item-{integration.key}-failures-reach-person"
    assert f'{anchor}">Failures reach a named person</a>: failures only reach a log file' in body
    assert "94%" in body
    # A viewer gets neither form.
    assert response.context["attest_form"] is None
    assert response.context["signoff_form"] is None


def test_unknown_parameters_are_an_error(client_for):
    ready_golive()
    response = client_for("viewer").get(URL + "?sort=name")
    assert response.status_code == 400
    assert response.context["errors"] == ["Unknown parameter 'sort' (known: format, show, page)."]


def test_an_unknown_go_live_is_404(client_for):
    assert client_for("viewer").get("/golives/nope/").status_code == 404


def test_the_list_shows_each_go_live_with_its_readiness(client_for):
    ready_golive(1)
    blocked = ready_golive(1, key="payroll-go-live", attested=False)
    response = client_for("viewer").get("/golives/")
    assert response.status_code == 200
    rows = {row["golive"].key: row for row in response.context["rows"]}
    assert rows[KEY]["readiness"].percent == 100
    assert rows[blocked.key]["readiness"].percent == 77  # 7 of 9: both attestations missing
    assert "2 blocking" in response.content.decode()


def test_the_list_shows_who_signed_off_and_whether_they_overrode_blockers(client_for):
    ready_golive(attested=False)
    client_for("approver").post(f"{URL}sign-off/", {"override_reason": "accepted"})
    body = client_for("viewer").get("/golives/").content.decode()
    assert "by cfo@example.com" in body
    assert '<span class="badge warning">override</span>' in body


# Computed items read the stored estate


def test_a_health_source_that_is_down_blocks(client_for):
    golive = ready_golive()
    HealthSource.objects.filter(integration=first_integration(golive)).update(state="down")
    readiness = client_for("viewer").get(URL).context["readiness"]
    assert readiness.blockers == ("Integration 000: health is down",)


def test_an_open_critical_finding_blocks_until_it_is_waived(client_for):
    golive = ready_golive()
    integration = first_integration(golive)
    now = timezone.now()
    StoredFinding.objects.create(
        code="OWNER_INACTIVE",
        severity="critical",
        subject_type="integration",
        subject_key=integration.key,
        message="m",
        remedy="r",
        first_seen_at=now,
        last_seen_at=now,
    )
    viewer = client_for("viewer")
    assert viewer.get(URL).context["readiness"].blockers == ("Integration 000: open critical finding: no active owner",)
    Waiver.objects.create(
        code="OWNER_INACTIVE",
        subject_type="integration",
        subject_key=integration.key,
        reason="handover agreed",
        expires_on=timezone.localdate() + dt.timedelta(days=1),
    )
    assert viewer.get(URL).context["readiness"].blockers == ()


def test_a_warning_finding_does_not_block(client_for):
    golive = ready_golive()
    now = timezone.now()
    StoredFinding.objects.create(
        code="STALE_SPEC",
        severity="warning",
        subject_type="integration",
        subject_key=first_integration(golive).key,
        message="m",
        remedy="r",
        first_seen_at=now,
        last_seen_at=now,
    )
    assert client_for("viewer").get(URL).context["readiness"].blockers == ()


def test_a_go_live_with_nothing_in_scope_is_blocked(client_for):
    ready_golive(0)
    readiness = client_for("viewer").get(URL).context["readiness"]
    assert readiness.blockers == ("No integrations are in this go-live's scope.",)


# Attestations


def test_an_owner_attests_an_item_and_it_passes_with_who_and_when(client_for):
    golive = ready_golive(attested=False)
    integration = first_integration(golive)
    owner = client_for("owner")
    response = owner.post(f"{URL}attest/", attestation_form(integration))
    assert response.status_code == 302
    row = Attestation.objects.get()
    assert (row.item, row.performed_by, row.recorded_by_email) == ("failure-simulation", "Raj Patel", OWNER)
    assert row.evidence_url == "https://tickets.example.com/OPS-42"
    page = owner.get(URL)
    result = page.context["readiness"].integrations[0].item("failure-simulation")
    assert result.status == "pass"
    assert "https://tickets.example.com/OPS-42" in page.content.decode()


def test_the_backup_owner_and_an_admin_may_attest(client_for):
    golive = ready_golive(attested=False)
    integration = first_integration(golive)
    for who, item in (("backup", "failure-simulation"), ("admin", "resync-rehearsal")):
        response = client_for(who).post(f"{URL}attest/", attestation_form(integration, item=item))
        assert response.status_code == 302, who
    assert Attestation.objects.count() == 2


def test_each_row_s_attestation_form_has_ids_of_its_own_and_the_reader_s_name(client_for, crew):
    # The blank forms are drawn once and given each row's ids (views/golives.py _sections).
    from catalog.models import Person

    Person.objects.update_or_create(email=OWNER, defaults={"name": "Olu Owner"})
    golive = ready_golive(2, attested=False)
    body = client_for("owner").get(URL).content.decode()
    keys = [row.integration.key for row in golive.scope.select_related("integration")]
    for key in keys:
        for item in ("failure-simulation", "resync-rehearsal"):
            for field in ("performed_by", "performed_on", "evidence_url"):
                field_id = f"item-{key}-{item}-{field}"
                assert body.count(f'id="{field_id}"') == 1, field_id
                assert f'<label for="{field_id}">' in body
            assert f'value="Olu Owner" maxlength="200" required id="item-{key}-{item}-performed_by"' in body
    assert "__attest-row__" not in body
    # A refused attestation keeps what was sent, with its error, on its own row only.
    sent = attestation_form(first_integration(golive), performed_by="Raj <b>Patel</b>", evidence_url="ftp://x")
    refused = client_for("owner").post(f"{URL}attest/", sent).content.decode()
    assert refused.count('value="Raj &lt;b&gt;Patel&lt;/b&gt;"') == 1
    assert refused.count('value="ftp://x"') == 1
    assert "__attest-row__" not in refused


@pytest.mark.parametrize("who", ["viewer", "other_owner", "approver"])
def test_someone_who_does_not_own_the_integration_may_not_attest(client_for, who):
    golive = ready_golive(attested=False)
    response = client_for(who).post(f"{URL}attest/", attestation_form(first_integration(golive)))
    assert response.status_code == 403
    assert not Attestation.objects.exists()


def test_an_owner_cannot_attest_for_an_integration_they_do_not_own_in_the_same_go_live(client_for, crew):
    golive = ready_golive(attested=False)
    theirs = ready_integration("olivias-integration", owner=None, backup_owner=None)
    GoLiveIntegration.objects.create(golive=golive, integration=theirs, position=9)
    response = client_for("owner").post(f"{URL}attest/", attestation_form(theirs))
    assert response.status_code == 400
    assert not Attestation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("performed_on", (dt.date.today() + dt.timedelta(days=3)).isoformat()),
        ("evidence_url", "javascript:alert(1)"),
        ("evidence_url", ""),
        ("performed_by", "   "),
        ("item", "coffee-break"),
    ],
)
def test_an_incomplete_or_implausible_attestation_is_refused(client_for, field, value):
    golive = ready_golive(attested=False)
    response = client_for("owner").post(f"{URL}attest/", attestation_form(first_integration(golive), **{field: value}))
    assert response.status_code == 400
    assert response.context["attest_form"].errors[field]
    assert not Attestation.objects.exists()


def test_attesting_needs_a_post(client_for):
    ready_golive()
    assert client_for("owner").get(f"{URL}attest/").status_code == 405


# Sign-off


def test_sign_off_with_blockers_and_no_reason_is_refused_and_records_nothing(client_for):
    ready_golive(attested=False)
    response = client_for("approver").post(f"{URL}sign-off/", {"override_reason": "  "})
    assert response.status_code == 400
    assert "2 blockers remain" in response.context["signoff_form"].errors["override_reason"][0]
    assert not SignOff.objects.exists()


def test_sign_off_with_blockers_is_allowed_with_an_override_reason_which_is_recorded(client_for):
    ready_golive(attested=False)
    reason = "Rehearsals booked for go-live weekend; CFO accepts the risk."
    response = client_for("approver").post(f"{URL}sign-off/", {"override_reason": reason})
    assert response.status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.override_reason == reason
    assert signoff.signed_by_email == "cfo@example.com"
    assert signoff.readiness_percent == 77
    assert signoff.blockers == [
        "Integration 000: no failure simulation is attested yet",
        "Integration 000: no re-sync after an outage is attested as rehearsed yet",
    ]


def test_sign_off_of_a_clean_go_live_needs_no_reason(client_for):
    ready_golive(3)
    response = client_for("approver").post(f"{URL}sign-off/", {"override_reason": ""})
    assert response.status_code == 302
    signoff = SignOff.objects.get()
    assert (signoff.readiness_percent, signoff.blockers, signoff.override_reason) == (100, [], "")


def test_an_admin_may_sign_off(client_for):
    ready_golive()
    assert client_for("admin").post(f"{URL}sign-off/", {}).status_code == 302
    assert SignOff.objects.get().signed_by_email == "admin@example.com"


@pytest.mark.parametrize("who", ["owner", "viewer", "other_owner"])
def test_only_the_approver_or_an_admin_may_sign_off(client_for, who):
    ready_golive()
    response = client_for(who).post(f"{URL}sign-off/", {"override_reason": "please"})
    assert response.status_code == 403
    assert not SignOff.objects.exists()


def test_the_sign_off_form_is_shown_only_to_the_approver_and_admins(client_for):
    ready_golive()
    assert client_for("approver").get(URL).context["signoff_form"] is not None
    assert client_for("admin").get(URL).context["signoff_form"] is not None
    assert client_for("owner").get(URL).context["signoff_form"] is None


def test_every_attestation_and_sign_off_is_kept_in_the_history_with_who_and_when(client_for):
    golive = ready_golive(attested=False)
    integration = first_integration(golive)
    owner = client_for("owner")
    owner.post(f"{URL}attest/", attestation_form(integration, performed_by="First try"))
    owner.post(f"{URL}attest/", attestation_form(integration, performed_by="Second try"))
    client_for("approver").post(f"{URL}sign-off/", {"override_reason": "accepted"})
    history = client_for("viewer").get(URL).context["history"]
    assert [(entry.who, entry.what) for entry in history] == [
        ("cfo@example.com", "Signed off"),
        (OWNER, "Failure simulation done: Integration 000"),
        (OWNER, "Failure simulation done: Integration 000"),
    ]
    assert "Second try" in history[1].detail and "First try" in history[2].detail
    assert history[0].detail == "at 88% with 1 blocker overridden: accepted"


# CSV and print


def test_csv_has_one_row_per_integration_and_item(client_for):
    golive = ready_golive(3)
    Integration.objects.filter(pk=first_integration(golive).pk).update(backup_owner=None)
    response = client_for("viewer").get(URL + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3 * len(ITEMS)
    assert {(r["integration"], r["item"]) for r in rows} == {
        (f"{KEY}-int-{n:03d}", item.code) for n in range(3) for item in ITEMS
    }
    blocked = [r for r in rows if r["status"] == "fail"]
    assert [(b["integration"], b["item"], b["detail"]) for b in blocked] == [
        (f"{KEY}-int-000", "owner-backup", "Ana Lopez owns it with no backup owner")
    ]
    attested = next(r for r in rows if r["integration"] == f"{KEY}-int-001" and r["item"] == "resync-rehearsal")
    assert attested["kind"] == "attested"
    assert attested["performed_by"] == "Raj Patel"
    assert attested["evidence_url"] == f"https://wiki.example.com/{KEY}-int-001/resync-rehearsal"


def test_forms_are_left_off_the_printed_record(client_for):
    ready_golive()
    body = client_for("admin").get(URL).content.decode()
    assert body.count('class="no-print readiness-form"') == 1  # sign off
    assert body.count('class="attest-inline no-print"') == 2  # one per attested item of the one integration


# Query counts


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_the_readiness_page_query_count_does_not_grow_with_the_scope(client_for):
    ready_golive(5, key="small")
    ready_golive(50, key="large")
    admin = client_for("admin")  # sees both forms, so every query the page can make is counted
    small = queries_for(admin, "/golives/small/")
    large = queries_for(admin, "/golives/large/")
    assert small == large
    assert queries_for(admin, "/golives/large/?format=csv") == queries_for(admin, "/golives/small/?format=csv")


def test_the_go_live_list_query_count_does_not_grow_with_the_go_lives(client_for):
    ready_golive(5, key="first")
    viewer = client_for("viewer")
    one = queries_for(viewer, "/golives/")
    for n in range(4):
        ready_golive(10, key=f"more-{n}")
    assert queries_for(viewer, "/golives/") == one
