"""Issue 18: the go-live page and list, the findings page and a system's page make the same few
queries (at most 15) whatever the estate's size, and show long lists a page or a capped table at
a time with their totals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Integration, Person, StoredFinding, System
from catalog.models.findings import finding_title
from catalog.rules.store import SEVERITY_RANK, refresh_findings
from catalog.views import findings as findings_view
from catalog.views.golives import BLOCKED_SHOWN, CHECKLIST_PAGE_SIZE
from catalog.views.systems import TABLE_CAP
from tests.catalog.test_readiness_support import ready_golive, users
from tests.catalog.test_rules_support import make_estate, silence_monitoring

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def crew():
    return users()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def blocked_golive(count: int, key: str):
    """A go-live of `count` integrations, each blocked (nothing attested, failures to a log file)."""
    golive = ready_golive(count, key=key, attested=False)
    Integration.objects.filter(golive_scope__golive=golive).update(error_surface="log-file")
    return golive


# The go-live page and list


@pytest.mark.parametrize("who", ["owner", "admin", "viewer"])
@pytest.mark.parametrize("view", ["", "?show=blockers", "?page=2"])
def test_the_go_live_page_makes_the_same_few_queries_for_3_or_80_integrations(crew, who, view):
    blocked_golive(3, "small")
    blocked_golive(80, "large")
    refresh_findings()
    client = client_of(crew[who])
    small, large = queries_for(client, f"/golives/small/{view}"), queries_for(client, f"/golives/large/{view}")
    assert small == large <= MAX_QUERIES


def test_the_go_live_list_makes_the_same_few_queries_for_1_or_6_go_lives_of_any_size(crew):
    blocked_golive(3, "first")
    viewer = client_of(crew["viewer"])
    one = queries_for(viewer, "/golives/")
    for n in range(5):
        blocked_golive(30, f"more-{n}")
    assert queries_for(viewer, "/golives/") == one <= MAX_QUERIES


def test_the_checklist_shows_a_page_of_integrations_with_links_to_the_others(crew):
    blocked_golive(CHECKLIST_PAGE_SIZE + 5, "big")
    admin = client_of(crew["admin"])
    first = admin.get("/golives/big/")
    assert [s.readiness.integration.key for s in first.context["sections"]] == [
        f"big-int-{n:03d}" for n in range(CHECKLIST_PAGE_SIZE)
    ]
    body = first.content.decode()
    assert f"Integrations 1–{CHECKLIST_PAGE_SIZE} of {CHECKLIST_PAGE_SIZE + 5}" in body
    assert '<a href="?page=2">Next</a>' in body
    second = admin.get("/golives/big/?page=2")
    assert len(second.context["sections"]) == 5
    # The whole scope still counts in the readiness figures.
    assert len(second.context["readiness"].integrations) == CHECKLIST_PAGE_SIZE + 5


def test_a_blocker_links_to_the_checklist_page_its_row_is_on(crew):
    blocked_golive(CHECKLIST_PAGE_SIZE + 1, "big")
    body = client_of(crew["viewer"]).get("/golives/big/?show=blockers").content.decode()
    last = f"big-int-{CHECKLIST_PAGE_SIZE:03d}"
    assert f'href="/golives/big/?page=2#item-{last}-failures-reach-person"' in body
    assert 'href="/golives/big/#item-big-int-000-failures-reach-person"' in body


def test_the_full_page_lists_the_first_blocked_integrations_and_links_to_every_blocker(crew):
    blocked_golive(BLOCKED_SHOWN + 3, "big")
    viewer = client_of(crew["viewer"])
    full = viewer.get("/golives/big/")
    assert len(full.context["blocker_groups"]) == BLOCKED_SHOWN
    assert "3 more integrations blocked." in full.content.decode()
    every = viewer.get("/golives/big/?show=blockers")
    assert len(every.context["blocker_groups"]) == BLOCKED_SHOWN + 3
    assert every.context["blocked_not_shown"] == 0


def test_a_checklist_page_that_is_not_a_whole_number_is_an_error(crew):
    blocked_golive(2, "small")
    response = client_of(crew["viewer"]).get("/golives/small/?page=two")
    assert response.status_code == 400
    assert response.context["errors"] == ["page='two': must be a whole number from 1."]


def test_a_refused_attestation_is_shown_on_the_checklist_page_of_its_integration(crew):
    blocked_golive(CHECKLIST_PAGE_SIZE + 2, "big")
    key = f"big-int-{CHECKLIST_PAGE_SIZE + 1:03d}"
    response = client_of(crew["admin"]).post(
        "/golives/big/attest/",
        {"integration": key, "item": "failure-simulation", "performed_by": "", "performed_on": "", "evidence_url": ""},
    )
    assert response.status_code == 400
    assert response.context["checklist"].number == 2
    assert response.context["attest_errors"] is None  # shown on its row, not on top


# The findings page


@pytest.mark.parametrize("group", ["severity", "code", "owner"])
def test_the_findings_page_makes_the_same_few_queries_for_a_small_or_large_estate(monkeypatch, crew, group):
    silence_monitoring(monkeypatch)
    client = client_of(crew["admin"])
    make_estate(6, prefix="a")
    refresh_findings()
    small = queries_for(client, f"/findings/?group={group}")
    make_estate(150, prefix="b")
    refresh_findings()
    # Subject names take a query for each kind of subject on the page (integrations, systems), so
    # a page can make one query fewer; never more.
    assert queries_for(client, f"/findings/?group={group}") <= small <= MAX_QUERIES
    assert queries_for(client, f"/findings/?group={group}&page=2") <= small


# A system's page


def system_with(count: int, key: str) -> System:
    """A system with `count` integrations out of it and `count` into it."""
    owner, _ = Person.objects.get_or_create(email="sam@example.com", defaults={"name": "Sam"})
    system = System.objects.create(key=key, name=key.title(), owner=owner)
    other = System.objects.create(key=f"{key}-other", name="Other")
    Integration.objects.bulk_create(
        [
            Integration(key=f"{key}-{side}-{n}", source=s, target=t, owner=owner)
            for n in range(count)
            for side, s, t in (("out", system, other), ("in", other, system))
        ]
    )
    return system


def test_a_system_page_makes_the_same_few_queries_for_any_number_of_integrations(crew):
    system_with(3, "small")
    system_with(TABLE_CAP + 1, "large")
    system_with(TABLE_CAP * 3, "huge")
    client = client_of(crew["viewer"])
    small = queries_for(client, "/systems/small/")
    large = queries_for(client, "/systems/large/")
    # Past the cap each table counts its rows: one query more a table, then no more.
    assert small <= large == queries_for(client, "/systems/huge/") <= MAX_QUERIES


def test_a_system_page_caps_each_table_and_links_to_the_filtered_list(crew):
    system_with(TABLE_CAP + 7, "hub")
    response = client_of(crew["viewer"]).get("/systems/hub/")
    assert len(response.context["outbound"].rows) == len(response.context["inbound"].rows) == TABLE_CAP
    body = response.content.decode()
    assert f"Showing {TABLE_CAP} of {TABLE_CAP + 7}." in body
    assert f'<a href="/integrations/?source=hub">See all {TABLE_CAP + 7} in the integrations list</a>' in body
    assert f'<a href="/integrations/?target=hub">See all {TABLE_CAP + 7} in the integrations list</a>' in body


@pytest.mark.parametrize("group", ["severity", "code", "owner"])
def test_the_findings_pages_together_show_every_finding_once_in_group_order(monkeypatch, crew, group):
    """A page reads only the groups it spans; page after page, they must add up to the whole
    register in the order of the groups (most severe first, then the largest, then by name)."""
    silence_monitoring(monkeypatch)
    make_estate(30, prefix="g")
    refresh_findings()
    monkeypatch.setattr(findings_view, "PAGE_SIZE", 7)  # pages that start and end inside groups
    client = client_of(crew["admin"])
    shown, counts = [], {}
    for number in range(1, 200):
        response = client.get(f"/findings/?group={group}&page={number}")
        for g in response.context["groups"]:
            counts[g["key"]] = g["count"]
            shown += [(g["key"], row.finding.pk) for row in g["rows"]]
        if not response.context["page"].has_next():
            break
    every = list(StoredFinding.objects.select_related("owner"))
    assert len(every) > 7 * 3
    assert sorted(pk for _, pk in shown) == sorted(f.pk for f in every)  # each once

    def key_of(f):
        return {"owner": f.owner.email if f.owner else None, "code": f.code, "severity": f.severity}[group]

    members = {}
    for f in every:
        members.setdefault(key_of(f), []).append(f)
    assert counts == {key: len(items) for key, items in members.items()}

    def group_rank(key):
        worst = max(SEVERITY_RANK[f.severity] for f in members[key])
        named = finding_title(key) if group == "code" else key or ""
        return (-worst, -len(members[key]), named) if group != "severity" else (-SEVERITY_RANK[key],)

    def order(f):
        return (*group_rank(key_of(f)), -SEVERITY_RANK[f.severity], f.code, f.subject_type, f.subject_key)

    assert [pk for _, pk in shown] == [f.pk for f in sorted(every, key=order)]
