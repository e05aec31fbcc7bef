"""Value maps: the crosswalks (chart of accounts, tax codes) a lookup mapping translates values by."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models


class ValueMap(models.Model):
    """Rows of source value -> target value, reviewed like a spec.

    The rows live in one JSON column, not a child table: they are only ever read and written whole
    (import compares the whole document, export and the CSV download write all of them, an upload
    replaces all of them), so a 20,000-row chart of accounts is one ~1 MB read instead of 20,000
    rows inserted on every replace. Pages that list value maps defer it and read `row_count`."""

    key = models.SlugField(unique=True, max_length=100)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="value_maps"
    )
    reviewed_at = models.DateField(null=True, blank=True)
    rows = models.JSONField(default=list, blank=True, help_text="[{source, target}, ...] in document order")
    row_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "value map"

    def __str__(self) -> str:
        return self.name or self.key

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The importer writes rows in bulk and sets row_count itself; pages and the admin save here.
        self.row_count = len(self.rows or [])
        if (update_fields := kwargs.get("update_fields")) is not None and "rows" in update_fields:
            kwargs["update_fields"] = {*update_fields, "row_count"}
        super().save(*args, **kwargs)

    def is_stale(self, today: dt.date, review_days: int) -> bool:
        """Never reviewed, or last reviewed more than review_days ago (as a spec)."""
        return value_map_stale(self.reviewed_at, today, review_days)


def value_map_stale(reviewed_at: dt.date | None, today: dt.date, review_days: int) -> bool:
    return reviewed_at is None or (today - reviewed_at).days > review_days
