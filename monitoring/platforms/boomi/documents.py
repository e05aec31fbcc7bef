"""The failed documents of a Boomi execution, as failed records.

Boomi's documented way down: the ExecutionConnector records of the execution (its Start, connector,
trading partner and Return Documents shapes, each with an errorCount), then, for each connector with
errors, its GenericConnectorRecords with status ERROR (one per document; GenericConnectorRecord can
only be queried within one execution, with EQUALS filters).

The key of a failed record is the document's business id: the value of its first user-defined tracked
field (what a Boomi process is set up to track, e.g. an order number), else the GenericConnectorRecord
id. The record's external id is the GenericConnectorRecord id, so reading a document twice stores it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from monitoring.platforms.boomi.api import equals, grouped, long, query
from monitoring.platforms.contract import FailedRecordObservation, PollError, PollTarget
from monitoring.platforms.fields import as_list, as_object, optional_str, optional_time, required_str


@dataclass
class Documents:
    records: list[FailedRecordObservation] = field(default_factory=list)
    complete: bool = True  # False: the page budget ran out before every errored document was read
    pages: int = 0


def failed_documents(target: PollTarget, client: httpx.Client, execution_id: str, max_pages: int) -> Documents:
    """The errored documents of one execution, in at most max_pages requests."""
    what = f"Boomi connectors of execution {execution_id[:80]}"
    found = Documents()
    connectors = query(
        target,
        client,
        "ExecutionConnector",
        {"QueryFilter": {"expression": equals("executionId", execution_id)}},
        what,
        max_pages,
    )
    found.pages += connectors.pages
    found.complete = connectors.complete
    for n, item in enumerate(connectors.results):
        connector = as_object(item, f"{what}: connector {n}")
        if not long(connector, "errorCount", f"{what}: connector {n}"):
            continue
        connector_id = required_str(connector, "id", f"{what}: connector {n}")
        records = _errored(target, client, execution_id, connector_id, max_pages - found.pages)
        found.pages += records.pages
        found.records.extend(records.records)
        if not records.complete:
            found.complete = False
            break
    return found


def _errored(
    target: PollTarget, client: httpx.Client, execution_id: str, connector_id: str, max_pages: int
) -> Documents:
    what = f"Boomi failed documents of execution {execution_id[:80]}"
    expression = grouped(
        "and",
        equals("executionId", execution_id),
        equals("executionConnectorId", connector_id),
        equals("status", "ERROR"),
    )
    read = query(target, client, "GenericConnectorRecord", {"QueryFilter": {"expression": expression}}, what, max_pages)
    records = [_failed_record(item, execution_id, f"{what}: document {n}") for n, item in enumerate(read.results)]
    return Documents(records=records, complete=read.complete, pages=read.pages)


def _failed_record(item: Any, execution_id: str, what: str) -> FailedRecordObservation:
    document = as_object(item, what)
    record_id = required_str(document, "id", what)
    if optional_str(document, "status", what) not in ("", "ERROR"):
        raise PollError(f"{what}: asked for status ERROR, got {document['status'][:20]!r}")
    return FailedRecordObservation(
        key=_business_id(document, what) or record_id,
        error=optional_str(document, "errorMessage", what) or "document failed",
        occurred_at=optional_time(document, "dateProcessed", what),
        run_external_id=optional_str(document, "executionId", what) or execution_id,
        external_id=record_id,
    )


def _business_id(document: dict[str, Any], what: str) -> str:
    """The value of the document's first tracked field that has one ("" when none does)."""
    tracked = document.get("trackedFields")
    if tracked is None:
        return ""
    fields = as_object(tracked, f"{what}: trackedFields").get("trackedField", [])
    for n, item in enumerate(as_list(fields, f"{what}: trackedField")):
        value = optional_str(as_object(item, f"{what}: trackedField {n}"), "value", f"{what}: trackedField {n}")
        if value.strip():
            return value.strip()
    return ""
