"""Every API input that cannot be stored or compared is a 400 naming the field, never a 500,
and nothing is written. PostgreSQL is where most of these would fail (NUL in text, a +20:00
offset), so the 400 must come from validation before the database: these tests run on SQLite,
where the database would not have complained, and still expect the 400."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from catalog.models import Integration
from monitoring.models import Run
from tests.api.conftest import OWN_INTEGRATION, OWNER_EMAIL, estate_state

pytestmark = pytest.mark.django_db

NUL = "contains a NUL character (\\u0000), which cannot be stored"
SURROGATE = "contains invalid Unicode (a lone surrogate such as \\ud800), which cannot be stored"
INT64 = "is outside the range a database integer holds (-9223372036854775808 to 9223372036854775807)"
OFFSET = "has a UTC offset no time zone uses (they run from -12:00 to +14:00)"
UTC_YEARS = "falls outside the years 1 to 9999 once turned to UTC"
URL = f"/api/v1/integrations/{OWN_INTEGRATION}/"


def patch_raw(client, url: str, body: str):
    """PATCH a body exactly as written: json.dumps would not let a lone surrogate through."""
    return client.patch(url, body.encode("utf-8", "surrogatepass"), content_type="application/json")


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def run(estate) -> Run:
    return Run.objects.create(
        integration=Integration.objects.get(key=OWN_INTEGRATION),
        external_id="r-1",
        source_kind="celigo",
        status="success",
        run_at=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC),
    )


def test_since_with_an_offset_of_twenty_hours_is_400_naming_since(api, run):
    response = api("viewer").get("/api/v1/runs/", {"since": "2026-01-01T00:00:00+20:00"})
    assert response.status_code == 400
    assert response.json() == {"since": [OFFSET]}


def test_until_that_leaves_year_9999_once_in_utc_is_400_naming_until(api, run):
    response = api("viewer").get("/api/v1/runs/", {"until": "9999-12-31T23:00:00-05:00"})
    assert response.status_code == 400
    assert response.json() == {"until": [UTC_YEARS]}


def test_since_before_year_1_once_in_utc_is_400(api, run):
    response = api("viewer").get("/api/v1/runs/", {"since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert response.json() == {"since": [UTC_YEARS]}


def test_since_at_the_largest_real_offset_still_filters(api, run):
    # 01:00 at +14:00 is 11:00 UTC the day before: the 12:00 UTC run is after it.
    response = api("viewer").get("/api/v1/runs/", {"since": "2026-01-02T01:00:00+14:00"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == ["r-1"]


def test_nul_in_a_filter_value_is_400_naming_the_filter(api, estate):
    # owner is looked up by email: PostgreSQL could not even compare the value.
    response = api("viewer").get("/api/v1/integrations/", {"owner": "ana\x00@example.com"})
    assert response.status_code == 400
    assert response.json() == {"owner": [NUL]}


def test_nul_in_a_parameter_name_is_400_naming_it_escaped(api, estate):
    response = api("viewer").get("/api/v1/integrations/?q%00=x")
    assert response.status_code == 400
    assert response.json() == {"q\\x00": [f"the name {NUL}"]}


def test_nul_in_the_key_of_the_address_is_400_naming_key(api, estate):
    response = api("viewer").get("/api/v1/people/ana%00lopez@example.com/")
    assert response.status_code == 400
    assert response.json() == {"key": [NUL]}


@pytest.mark.parametrize("page", ["abc", "0", "-1", "²", "1.5", str(10**30)])
def test_a_page_that_is_not_a_whole_number_within_64_bits_is_400_naming_page(api, estate, page):
    response = api("viewer").get("/api/v1/systems/", {"page": page})
    assert response.status_code == 400
    assert response.json() == {"page": ["must be a whole number of 1 or more, or last"]}


@pytest.mark.parametrize("size", ["abc", "0", "²", "9" * 5000])
def test_a_page_size_that_is_not_a_whole_number_is_400_naming_page_size(api, estate, size):
    response = api("viewer").get("/api/v1/systems/", {"page_size": size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["must be a whole number of 1 or more"]}


def test_a_page_past_the_last_is_a_json_404(api, estate):
    response = api("viewer").get("/api/v1/systems/", {"page": "99"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_an_api_address_that_matches_nothing_is_a_json_404(api, estate):
    response = api("viewer").get("/api/v1/findings/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_ordering_with_only_empty_items_keeps_the_default_order(api, estate):
    response = api("viewer").get("/api/v1/systems/", {"ordering": ","})
    assert response.status_code == 200
    keys = [row["key"] for row in response.json()["results"]]
    assert keys == sorted(keys)
    assert len(keys) == 6


# --- JSON bodies --------------------------------------------------------------------------


def test_patch_with_a_nul_character_is_400_naming_the_field_and_changes_nothing(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"name": "Chargebee\x00invoices"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [NUL]}
    assert estate_state() == before


def test_patch_with_a_lone_surrogate_is_400_naming_the_field_and_changes_nothing(api, estate):
    before = estate_state()
    response = patch_raw(api("owner"), URL, '{"description": "half of a pair: \\ud800"}')
    assert response.status_code == 400
    assert response.json() == {"description": [SURROGATE]}
    assert estate_state() == before


def test_a_surrogate_pair_is_one_character_and_is_stored(api, estate):
    response = patch_raw(api("owner"), URL, '{"description": "a clef \\ud834\\udd1e"}')
    assert response.status_code == 200
    assert Integration.objects.get(key=OWN_INTEGRATION).description == "a clef \U0001d11e"


def test_an_integer_of_2_to_the_63_is_400_naming_its_path_and_changes_nothing(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"sync": {"interval_minutes": 2**63}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"sync.interval_minutes": [INT64]}
    assert estate_state() == before


def test_an_integer_within_64_bits_but_beyond_the_column_is_400(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"sync": {"interval_minutes": 2**63 - 1}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"sync.interval_minutes": ["is too large"]}
    assert estate_state() == before


def test_a_number_too_big_to_be_finite_is_400(api, estate):
    before = estate_state()
    response = patch_raw(api("owner"), URL, '{"build_estimate_hours": 1e400}')
    assert response.status_code == 400
    assert response.json() == {"build_estimate_hours": ["must be a finite number"]}
    assert estate_state() == before


def test_hours_beyond_a_million_are_400(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"workaround": {"hours_per_month": 1e300}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"workaround.hours_per_month": ["is too large (at most 1,000,000 hours)"]}
    assert estate_state() == before


def test_nul_inside_a_mapping_is_400_at_its_path(api, estate):
    before = estate_state()
    body = {"mappings": [{"source": "invoice.id", "target": "invoice.external\x00Id"}]}
    response = api("owner").patch(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"mappings[0].target": [NUL]}
    assert estate_state() == before


def test_nul_in_a_field_name_is_400_for_the_body(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"na\x00me": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"has a field name that {NUL}"]}
    assert estate_state() == before


def test_every_unstorable_value_of_a_body_is_named(api, estate):
    body = json.dumps({"name": "a\x00", "sync": {"interval_minutes": 2**64}, "data_objects": ["ok", "b\x00"]})
    response = patch_raw(api("owner"), URL, body)
    assert response.status_code == 400
    assert response.json() == {"name": [NUL], "sync.interval_minutes": [INT64], "data_objects[1]": [NUL]}


def test_post_with_a_nul_character_creates_nothing(api, estate):
    before = estate_state()
    body = {"key": "new-system", "name": "New\x00System", "owner": OWNER_EMAIL}
    response = api("owner").post("/api/v1/systems/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [NUL]}
    assert estate_state() == before


def test_a_body_nested_too_deeply_to_parse_is_400(api, estate):
    before = estate_state()
    response = patch_raw(api("owner"), URL, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested too deeply"}
    assert estate_state() == before


def test_a_date_outside_years_1_to_9999_is_400(api, estate):
    before = estate_state()
    response = api("owner").patch(URL, {"reviewed_at": "10000-01-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reviewed_at": ["must be a date (YYYY-MM-DD)"]}
    assert estate_state() == before
