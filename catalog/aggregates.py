"""Fingerprints of tables in one round trip: what caches kept by a process (the graph's drawings,
search's folded integrations) ask on every request to know whether what they hold still holds."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def table_aggregates(spec: Sequence[tuple[type[Model], Sequence[str]]]) -> tuple[object, ...]:
    """The value of each (model, SQL aggregate expressions) pair, e.g. (Integration, ("COUNT(*)",
    "MAX(updated_at)")), in one query. Only our own table names and fixed expressions go into the
    SQL, never user input."""
    subqueries = [
        f"(SELECT {expression} FROM {connection.ops.quote_name(model._meta.db_table)})"  # noqa: S608
        for model, expressions in spec
        for expression in expressions
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(subqueries))
        return tuple(cursor.fetchone() or ())
