"""Data-object pages: every object the estate names, and one object with its master, the
integrations carrying it, the systems it is written into and its findings. An object counts
whether it has a DataObject document or is only named in integrations' data_objects lists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from catalog.data_objects import Carriage, Write, carriages
from catalog.models import DataObject, Integration, StoredFinding, System
from catalog.models.data_objects import objects_sequence_sensitive
from catalog.models.findings import Severity, SubjectType
from catalog.ownership import can_edit
from catalog.rules.store import ordered, with_waivers
from catalog.views.history import history_of
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

# What the pages read of each integration: a data object page lists them with both ends.
INTEGRATION_FIELDS = ("key", "name", "source", "target", "direction", "lifecycle", "data_objects")


@dataclass(frozen=True)
class WrittenInto:
    """One system a data object is written into, and the integrations writing it there."""

    system: System
    writes: list[Write]
    is_master: bool

    @property
    def sources(self) -> list[System]:
        found = {w.source.key: w.source for w in self.writes if w.source is not None}
        return [found[key] for key in sorted(found)]

    @property
    def conflicting(self) -> bool:
        return len(self.sources) >= 2


@dataclass
class ObjectRow:
    """A data object as the pages show it: its document (None: only named by integrations)."""

    key: str
    document: DataObject | None
    carriage: Carriage
    findings: list[StoredFinding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.document.display_name if self.document is not None else self.key

    @property
    def master(self) -> System | None:
        return self.document.master if self.document is not None else None

    @property
    def written_into(self) -> list[WrittenInto]:
        master = self.master.key if self.master is not None else None
        return [
            WrittenInto(writes[0].into, writes, key == master) for key, writes in self.carriage.written_into().items()
        ]

    @property
    def master_written(self) -> bool:
        """Whether some integration writes it into its own master."""
        return any(into.is_master for into in self.written_into)

    @property
    def open_findings(self) -> list[StoredFinding]:
        return [f for f in self.findings if not getattr(f, "waived", False)]


def _integrations() -> QuerySet[Integration]:
    return (
        Integration.objects.select_related("source", "target")
        .only(*INTEGRATION_FIELDS, "source__key", "source__name", "target__key", "target__name")
        .order_by("key")
    )


def _findings(keys: list[str] | None = None) -> QuerySet[StoredFinding]:
    found = StoredFinding.objects.filter(subject_type=SubjectType.DATA_OBJECT)
    if keys is not None:
        found = found.filter(subject_key__in=keys)
    return ordered(with_waivers(found, timezone.localdate()))


def object_rows() -> list[ObjectRow]:
    """Every data object, documented or derived, by key: three queries whatever the estate's size."""
    documents = {d.key: d for d in DataObject.objects.select_related("master", "owner")}
    carried = carriages(_integrations())
    findings: dict[str, list[StoredFinding]] = defaultdict(list)
    for finding in _findings():
        findings[finding.subject_key].append(finding)
    keys = sorted(set(documents) | set(carried))
    return [ObjectRow(key, documents.get(key), carried.get(key) or Carriage(key), findings[key]) for key in keys]


def graph_url(key: str) -> str:
    return f"{reverse('graph')}?{urlencode({'object': key})}"


@read_only
@role_required
def data_object_list(request: HttpRequest) -> HttpResponse:
    rows = object_rows()
    context = {
        "rows": rows,
        "documented": sum(row.document is not None for row in rows),
        "masterless": sum(row.master is None and len(row.carriage.written_into()) >= 2 for row in rows),
        "may_add": can_edit(request.user),
    }
    return render(request, "catalog/data_object_list.html", context)


@read_only
@role_required
def data_object_detail(request: HttpRequest, key: str) -> HttpResponse:
    document = DataObject.objects.select_related("master", "owner").filter(key=key).first()
    # data_objects is a JSON list, which SQLite cannot search by element: the carriers are found in Python.
    carriage = carriages(_integrations()).get(key)
    if document is None and carriage is None:
        raise Http404(f"No data object “{key}”: no document declares it and no integration carries it.")
    row = ObjectRow(key, document, carriage or Carriage(key), list(_findings([key])))
    context = {
        "row": row,
        "document": document,
        "builtin_sensitive": objects_sequence_sensitive([key], {}),
        "critical_count": sum(f.severity == Severity.CRITICAL for f in row.open_findings),
        "history": history_of("DataObject", key),
        "graph_url": graph_url(key),
        # The drawing is its own request (the graph's SVG download, cached like the graph page's):
        # drawing it here would double this page's queries.
        "graph_svg_url": f"{reverse('graph-download', args=['svg'])}?{urlencode({'object': key})}",
        "can_edit": can_edit(request.user, document) if document is not None else can_edit(request.user),
    }
    return render(request, "catalog/data_object_detail.html", context)
