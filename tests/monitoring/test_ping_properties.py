"""Property tests of the ping door: whatever a sender posts, the answer is 200, 400 or 413 (never a
500), and every ping answered "OK" is applied (none set aside, none left pending)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.ingest.pending import apply_pending_pings
from monitoring.ingest.pings import BadPing, parse_ping_body
from monitoring.models import DeadPing, PendingPing
from tests.monitoring.conftest import make_integration

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as hostile senders write it: any code point, NUL and lone surrogates included.
TEXT = st.one_of(
    st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", ""]),
)
# The edges of what a signed 64-bit column holds come up often, not by luck.
EDGES = st.sampled_from([-1, 0, 2**31, 2**63 - 1, 2**63, 10**30])
NUMBERS = st.one_of(EDGES, st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), st.booleans())
TIMES = st.one_of(
    TEXT,
    st.datetimes().map(lambda d: d.isoformat()),
    st.builds(
        lambda d, h, m, sign: f"{d.isoformat()}{sign}{h:02d}:{m:02d}",
        st.datetimes(),
        st.integers(0, 23),
        st.integers(0, 59),
        st.sampled_from("+-"),
    ),
)
SCALARS = st.one_of(st.none(), NUMBERS, TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3))
FAILED_RECORD = st.fixed_dictionaries(
    {},
    optional={"key": st.one_of(TEXT, NUMBERS), "error": st.one_of(TEXT, NUMBERS), "occurred_at": TIMES},
)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "run_id": st.one_of(TEXT, NUMBERS, ANY_JSON),
        "records_in": NUMBERS,
        "records_out": NUMBERS,
        "records_failed": NUMBERS,
        "message": st.one_of(TEXT, ANY_JSON),
        "failed_records": st.one_of(st.lists(FAILED_RECORD, max_size=3), ANY_JSON),
    },
)


def encoded(body: Any) -> bytes:
    # json.dumps escapes lone surrogates and NUL as \\ud800 and \\u0000, as a sender's library would.
    return json.dumps(body, allow_nan=True).encode()


@given(raw=st.binary(max_size=300))
@EXAMPLES
def test_any_bytes_are_a_ping_body_or_a_bad_ping(raw):
    try:
        body = parse_ping_body(raw)
    except BadPing:
        return
    assert parse_ping_body(body.to_json().encode()) == body


@pytest.fixture
def no_rate_limit(settings: Any) -> None:
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 100_000


@given(body=st.one_of(BODIES, ANY_JSON))
@EXAMPLES
def test_any_json_body_is_refused_at_the_door_or_applied(body, no_rate_limit):
    integration = _integration() or make_integration()
    response = Client().post(f"/ping/{integration.ping_uuid}/fail", data=encoded(body), content_type="application/json")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert not PendingPing.objects.exists()
        return
    assert apply_pending_pings() == 1
    assert not PendingPing.objects.exists() and not DeadPing.objects.exists()


def _integration() -> Any:
    from catalog.models import Integration

    return Integration.objects.filter(key="invoices").first()
