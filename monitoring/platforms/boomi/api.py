"""Boomi Platform API calls as the adapter makes them: HTTP Basic with an API token, JSON, and the
query/queryMore paging every queried object shares (at most 100 results a page; a queryToken while
there are more, sent back as the text/plain body of queryMore)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import PollError, PollTarget
from monitoring.platforms.fields import as_list, as_object, count


@dataclass(frozen=True)
class Queried:
    results: list[Any]
    complete: bool  # False: stopped at the page bound with more results left on the platform
    pages: int  # requests made


def query(
    target: PollTarget, client: httpx.Client, obj: str, body: dict[str, Any], what: str, max_pages: int
) -> Queried:
    """The results of one Boomi query, following queryToken for at most max_pages requests in all."""
    if max_pages < 1:
        return Queried([], complete=False, pages=0)
    url = f"{_api(target)}/{obj}"
    headers = _headers(target)
    reply = outbound.send(client, "POST", f"{url}/query", what=what, headers=headers, json_body=body)
    results: list[Any] = []
    for page in range(1, max_pages + 1):
        found = as_object(reply.json(what), what)
        results.extend(as_list(found.get("result", []), f"{what}: result"))
        token = found.get("queryToken")
        if not token:
            return Queried(results, complete=True, pages=page)
        if not isinstance(token, str):
            raise PollError(f"{what}: queryToken must be a string")
        if page == max_pages:
            return Queried(results, complete=False, pages=page)
        more_headers = {**headers, "Content-Type": "text/plain"}
        reply = outbound.send(
            client, "POST", f"{url}/queryMore", what=what, headers=more_headers, content=token.encode()
        )
    raise AssertionError("unreachable")  # the loop returns on its last page


def equals(prop: str, value: str) -> dict[str, Any]:
    return {"argument": [value], "operator": "EQUALS", "property": prop}


def grouped(operator: str, *expressions: dict[str, Any]) -> dict[str, Any]:
    """Expressions joined by "and" or "or"; a single one stands alone."""
    if len(expressions) == 1:
        return expressions[0]
    return {"operator": operator, "nestedExpression": list(expressions)}


def long(record: dict[str, Any], key: str, what: str) -> int | None:
    """A Boomi count: a number, or ["Long", n] as the JSON API writes Java longs."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 2 and value[0] == "Long":
        value = value[1]
    return count(value, f"{what}: {key}")


def _api(target: PollTarget) -> str:
    if not target.base_url or not target.account_id:
        raise PollError("Boomi platform account needs a base_url and an account_id")
    return f"{target.base_url.rstrip('/')}/api/rest/v1/{target.account_id}"


def _headers(target: PollTarget) -> dict[str, str]:
    user, sep, token = outbound.read_secret(target.secret_env).partition(":")
    if not sep or not user or not token:
        raise PollError(f"environment variable {target.secret_env} must hold 'user:token' for Boomi")
    basic = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
    return {"Accept": "application/json", "Authorization": basic}
