"""A data object (customer, vendor, invoice, ...) and its system of record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import models

from catalog.choices import SEQUENCE_SENSITIVE_OBJECTS


class DataObject(models.Model):
    """A business object integrations carry (named in their data_objects lists), with the system
    that masters it: anything else writing it is a copy, or a conflict (rules/data_objects.py)."""

    key = models.SlugField(unique=True, max_length=100)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    master = models.ForeignKey(
        "catalog.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="mastered_objects"
    )
    owner = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="data_objects"
    )
    # Declared: integrations carrying it whose own sequence_sensitive is unset follow this.
    sequence_sensitive = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.key


# Object key -> declared sequence_sensitive, as read_sequence_sensitivity returns it.
SequenceDeclarations = Mapping[str, bool]


def read_sequence_sensitivity() -> dict[str, bool]:
    """Every DataObject's declared sequence sensitivity, in one query."""
    return dict(DataObject.objects.values_list("key", "sequence_sensitive"))


def objects_sequence_sensitive(objects: Iterable[str], declared: SequenceDeclarations) -> bool:
    """Whether data carrying these objects is sequence-sensitive: a DataObject document decides
    for its key; an object without one falls back to the built-in list (choices.py)."""
    return any(declared.get(o, o in SEQUENCE_SENSITIVE_OBJECTS) for o in objects)
