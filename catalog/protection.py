"""Documents other documents name by key inside a value (a mapping's value_map, a freeze's calendar) are
protected like those named through a foreign key: deleting one that is still named is refused with
ProtectedError, whichever way it is deleted (API, a queryset), and the admin lists what names it."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from catalog.models import Calendar, Integration, System, ValueMap


def naming(obj: Model) -> list[Integration | System]:
    """The documents that name `obj` by key inside a value: none for other kinds."""
    if isinstance(obj, ValueMap):
        return list(Integration.objects.filter(mappings__value_map=obj.key).distinct().order_by("key"))
    if isinstance(obj, Calendar):
        # Few documents have freezes: read those and look inside (a JSON containment query is not portable).
        return [
            document
            for model in (System, Integration)
            for document in model.objects.exclude(freeze=[]).only("pk", "key", "name", "freeze").order_by("key")
            if any(isinstance(period, dict) and period.get("calendar") == obj.key for period in document.freeze)
        ]
    return []


@receiver(pre_delete, sender=ValueMap, dispatch_uid="catalog.protect_value_map")
@receiver(pre_delete, sender=Calendar, dispatch_uid="catalog.protect_freeze_calendar")
def refuse_while_named(sender: Any, instance: Model, **kwargs: Any) -> None:
    if found := naming(instance):
        raise ProtectedError(f"{instance} is still named by {len(found)} documents", set(found))
