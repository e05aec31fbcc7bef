"""Who owns what in the written estate: the rule pages, the API and the admin share for "may this
user edit this document?". Roles come from accounts (viewer, owner, admin); which documents an
owner may edit is catalog's word: the integrations they own or back up and the systems they own,
matched by the email of their Person.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from catalog.models import Person, Reminder
from plumbline.accounts.roles import ADMIN, OWNER, email_of, role_of

# Which references make a user the owner of a document, by kind: the same rule for a stored
# object (can_edit) and for a document about to be created (owns_document).
OWNER_REFERENCES: dict[str, tuple[str, ...]] = {
    "Integration": ("owner", "backup_owner"),
    "System": ("owner",),
    "DataObject": ("owner",),
    "ValueMap": ("owner",),  # its owner marks it reviewed and replaces its rows; admins edit the rest
}


def person_of(user: Any) -> Person | None:
    """The catalog Person whose email is the user's email, or None."""
    email = email_of(user)
    if not email or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(email=email).first()


def can_edit(user: Any, obj: Any = None) -> bool:
    """Admins edit anything; owners edit their integrations (owner or backup owner) and
    their systems; viewers edit nothing. With obj=None: may the user edit anything at all
    (i.e. is an owner or admin), e.g. to show an "edit" or "new" button."""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role != OWNER:
        return False
    if obj is None:
        return True
    email = email_of(user)
    for attr in OWNER_REFERENCES.get(type(obj).__name__, ()):
        person = getattr(obj, attr, None)
        if person is not None and email and person.email.lower() == email:
            return True
    return False


def owns_document(user: Any, kind: str, values: dict[str, Any]) -> bool:
    """May the user write a new document with these values (dotted path -> value)?"""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role != OWNER:
        return False
    email = email_of(user)
    return bool(email) and any(values.get(path) == email for path in OWNER_REFERENCES.get(kind, ()))


def may_confirm_workaround(user: Any, integration: Any) -> bool:
    """Who may confirm a run of an integration's workaround on its page: those who may edit it
    (admins, its owner and backup owner), and the person who performs the workaround, whatever
    their role, since confirming what they did is their job. Anyone else (a viewer) may not."""
    if can_edit(user, integration):
        return True
    if role_of(user) is None:
        return False
    email = email_of(user)
    performer = getattr(integration, "workaround_performed_by", None)
    return bool(email) and performer is not None and performer.email.lower() == email


def visible_reminders(user: Any, reminders: QuerySet[Reminder]) -> QuerySet[Reminder]:
    """The reminders a user may read: every one for admins, others only those sent to their Person
    (the reminders page and the API alike)."""
    if role_of(user) == ADMIN:
        return reminders
    person = person_of(user)
    return reminders.filter(person=person) if person else reminders.none()
