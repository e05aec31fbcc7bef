"""Which copy of a spec document wins: the file it was imported from, or a change made since in the browser.

Every change is a ChangeRecord saying how it came (`via`: import, page, API, admin) and, for an import, from
which file (`note`). The last record of a document is its provenance:
- an import that would replace a change made since in the browser says so (dry run and real run alike);
- the spec YAML page says which copy is newer;
- with PLUMBLINE_SPECS_FROM_GIT=true the files are the source of truth: a document last written by import
  is read-only in the browser and the API, with a note naming its file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from catalog.models import ChangeRecord

# Ways a person changes a document other than by importing a file.
IN_APP = (ChangeRecord.Via.PAGE, ChangeRecord.Via.API, ChangeRecord.Via.ADMIN)
FROM_FILE_PREFIX = "from "
CHUNK = 500


@dataclass(frozen=True)
class Provenance:
    kind: str
    key: str
    via: str
    at: dt.datetime
    actor: str  # who (an email or user name), "" when unknown
    source: str  # for an import: the file it came from, when recorded

    @property
    def in_app(self) -> bool:
        return self.via in IN_APP

    def describe(self) -> str:
        """ "changed in the browser by ana@example.com on 2026-11-30 14:02 UTC" and the like."""
        how: str = {
            str(ChangeRecord.Via.PAGE): "changed in the browser",
            str(ChangeRecord.Via.API): "changed through the API",
            str(ChangeRecord.Via.ADMIN): "changed in the admin",
            str(ChangeRecord.Via.IMPORT): f"imported{f' from {self.source}' if self.source else ''}",
        }.get(self.via, "changed by Plumbline")
        who = f" by {self.actor}" if self.actor else ""
        return f"{how}{who} on {self.at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def import_note(source: str) -> str:
    """The note an import's change record carries: the file the document came from."""
    return f"{FROM_FILE_PREFIX}{source}"[:500]


def last_changes(kind: str, keys: Iterable[str]) -> dict[str, Provenance]:
    """The last change of each document of one kind that has any, by key; one query per CHUNK keys."""
    found: dict[str, Provenance] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = (
            ChangeRecord.objects.filter(kind=kind, key__in=chunk)
            .order_by("key", "-at", "-id")
            .values_list("key", "via", "at", "actor__email", "actor__username", "note")
        )
        for key, via, at, email, username, note in rows:
            if key not in found:
                source = (
                    note[len(FROM_FILE_PREFIX) :]
                    if via == ChangeRecord.Via.IMPORT and note.startswith(FROM_FILE_PREFIX)
                    else ""
                )
                found[key] = Provenance(kind, key, via, at, email or username or "", source)
    return found


def last_change(kind: str, key: str) -> Provenance | None:
    return last_changes(kind, [key]).get(key)


class ReadOnlyDocument(Exception):
    """PLUMBLINE_SPECS_FROM_GIT: the document is kept in a file; change the file and import it."""


def read_only_reason(kind: str, key: str) -> str:
    """Why the document may not be changed in the browser or the API, or "" when it may."""
    if not settings.PLUMBLINE_SPECS_FROM_GIT:
        return ""
    last = last_change(kind, key)
    if last is None or last.via != ChangeRecord.Via.IMPORT:
        return ""
    where = f"in {last.source}" if last.source else "in the spec files it was imported from"
    return (
        f"This document is kept {where} (PLUMBLINE_SPECS_FROM_GIT is on): change it there and import the file; "
        "a change made here would be replaced by the next import."
    )


def ensure_editable(kind: str, key: str) -> None:
    """Raise ReadOnlyDocument when the files own the document."""
    if reason := read_only_reason(kind, key):
        raise ReadOnlyDocument(reason)
