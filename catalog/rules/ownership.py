"""Who answers for it: OWNER_INACTIVE and SINGLE_PERSON_DEPENDENCY."""

from __future__ import annotations

from catalog.choices import Lifecycle
from catalog.models import Integration, Person, System
from catalog.models.findings import FindingCode, Severity, SubjectType
from catalog.rules.finding import Facts, Finding, about, person_name
from catalog.rules.phase_two import is_deferred


def owner_inactive(integration: Integration, facts: Facts) -> Finding | None:
    owner = integration.owner
    live = integration.lifecycle == Lifecycle.LIVE
    # Nobody answering for a running integration is critical; for one not yet live, a warning.
    severity = Severity.CRITICAL if live else Severity.WARNING
    if owner is None:
        message = "The integration has no owner: nobody is told of its failures or keeps its spec true."
        remedy = "Name an active owner (and a backup owner) in the spec."
    elif not owner.active:
        message = f"The owner {person_name(owner)} ({owner.email}) has left the company (inactive)."
        remedy = f"Hand the integration to an active owner and update the spec; {owner.email} can no longer answer."
    else:
        return None
    return about(integration, FindingCode.OWNER_INACTIVE, severity, message, remedy)


def system_owner_inactive(system: System) -> Finding | None:
    """A system whose owner has left: nobody announces its upgrades to the integration owners."""
    owner = system.owner
    if owner is None or owner.active:
        return None
    message = f"The owner of {system.display_name}, {person_name(owner)} ({owner.email}), has left the company."
    remedy = f"Name an active owner for {system.display_name} in its spec."
    return Finding(FindingCode.OWNER_INACTIVE, Severity.WARNING, SubjectType.SYSTEM, system.key, message, remedy)


def _backs_up(backup: Person | None, person: Person) -> bool:
    """A backup is someone else who is still here."""
    return backup is not None and backup.active and backup.email != person.email


def single_person_dependency(integration: Integration, facts: Facts) -> Finding | None:
    backup = integration.backup_owner
    doer = integration.workaround_performed_by or integration.owner
    has_workaround = bool(integration.workaround_description) or integration.workaround_performed_by is not None
    if is_deferred(integration) and has_workaround and doer is not None:
        if _backs_up(backup, doer):
            return None
        what = f" ({integration.workaround_description})" if integration.workaround_description else ""
        message = (
            f"The phase-two workaround{what} is done by {person_name(doer)} alone: "
            f"{_why_no_backup(backup, doer)}; when they are away it does not happen."
        )
        remedy = "Name a backup owner who has done the workaround at least once, and write its steps down."
    elif integration.lifecycle == Lifecycle.LIVE and integration.owner is not None:
        owner = integration.owner
        if _backs_up(backup, owner):
            return None
        message = f"The live integration rests on {person_name(owner)} alone: {_why_no_backup(backup, owner)}."
        remedy = "Name an active backup owner in the spec who can handle its failures."
    else:
        return None
    return about(integration, FindingCode.SINGLE_PERSON_DEPENDENCY, Severity.WARNING, message, remedy)


def _why_no_backup(backup: Person | None, person: Person) -> str:
    if backup is None:
        return "there is no backup owner"
    if backup.email == person.email:
        return "the backup owner is the same person"
    return f"the backup owner {person_name(backup)} has left the company"
