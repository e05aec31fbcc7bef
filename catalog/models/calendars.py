from __future__ import annotations

import datetime as dt

from django.db import models

from catalog.schedules import DEFAULT_WORKING_DAYS, BusinessCalendar, weekday_numbers


def default_working_days() -> list[str]:
    return list(DEFAULT_WORKING_DAYS)


class Calendar(models.Model):
    """A business calendar: the working weekdays and the holidays a schedule or a close freeze
    counts business days by (catalog/schedules.py)."""

    key = models.SlugField(unique=True, max_length=100)
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name: whose days these are.")
    working_days = models.JSONField(
        default=default_working_days, blank=True, help_text="e.g. [mon, tue, wed, thu, fri]"
    )
    holidays = models.JSONField(default=list, blank=True, help_text="ISO dates")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name or self.key

    def business_calendar(self) -> BusinessCalendar:
        """The calendar as the schedule decisions read it (catalog/schedules.py)."""
        return BusinessCalendar(
            key=self.key,
            timezone=self.timezone or "UTC",
            working_days=weekday_numbers(self.working_days),
            holidays=frozenset(dt.date.fromisoformat(day) for day in self.holidays),
        )
