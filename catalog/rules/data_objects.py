"""Who masters each data object: NO_MASTER and CONFLICTING_WRITERS, one finding per object."""

from __future__ import annotations

from catalog.data_objects import Carriage, Write
from catalog.models import DataObject
from catalog.models.data_objects import SequenceDeclarations, objects_sequence_sensitive
from catalog.models.findings import FindingCode, Severity, SubjectType
from catalog.rules.finding import Finding, listing

MASTERLESS_FROM = 2  # written into this many systems, an object needs a declared master


def _finding(
    code: str, severity: str, carriage: Carriage, document: DataObject | None, message: str, remedy: str
) -> Finding:
    owner = document.owner.email if document is not None and document.owner is not None else None
    return Finding(code, severity, SubjectType.DATA_OBJECT, carriage.key, message, remedy, owner)


def no_master(carriage: Carriage, document: DataObject | None) -> Finding | None:
    """Written into two or more systems, and no DataObject document names its master."""
    into = carriage.written_into()
    if len(into) < MASTERLESS_FROM or (document is not None and document.master_id is not None):
        return None
    systems = [writes[0].into.display_name for writes in into.values()]
    message = (
        f"{carriage.key} is written into {len(into)} systems ({listing(systems)}) and no system is declared "
        "its master: nobody can say which copy is right when they disagree."
    )
    remedy = (
        f"Declare which system is the system of record (the master) of {carriage.key} in its data object "
        "document, and make the other systems receive it from there."
    )
    return _finding(FindingCode.NO_MASTER, Severity.WARNING, carriage, document, message, remedy)


def _writer(write: Write) -> str:
    source = write.source.display_name if write.source is not None else "an unnamed source"
    return f"{source} ({write.integration.key})"


def conflicting_writers(
    carriage: Carriage, document: DataObject | None, declared: SequenceDeclarations
) -> Finding | None:
    """Two integrations write the object into one system from different sources. Critical when its
    order matters, or when what they overwrite is the master itself."""
    conflicts = carriage.conflicts()
    if not conflicts:
        return None
    master = document.master if document is not None else None
    into_master = master is not None and master.key in conflicts
    sensitive = objects_sequence_sensitive([carriage.key], declared)
    severity = Severity.CRITICAL if sensitive or into_master else Severity.WARNING
    parts = [
        f"{writes[0].into.display_name} gets it from {listing([_writer(w) for w in writes])}"
        for writes in conflicts.values()
    ]
    why = []
    if master is not None and into_master:
        why.append(f"{master.display_name} is its declared master, yet other systems write it")
    if sensitive:
        why.append("its order matters, and two writers interleave")
    because = "; ".join(why)
    message = f"{carriage.key} has conflicting writers: {'; '.join(parts)}." + (
        f" {because[:1].upper()}{because[1:]}." if because else ""
    )
    remedy = (
        "Make one source write it into each system: route the others through its master"
        + (f" ({master.display_name})" if master is not None else " (declare one in its data object document)")
        + ", or take it off the list of data objects of an integration that does not really write it."
    )
    return _finding(FindingCode.CONFLICTING_WRITERS, severity, carriage, document, message, remedy)
