"""The snooze form on the review page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone


class SnoozeForm(forms.Form):
    until = forms.DateField(
        label="Leave it out of reminders until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="It is listed again from this day.",
    )
    reason = forms.CharField(
        label="Why it cannot be reviewed now",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_until(self) -> dt.date:
        until: dt.date = self.cleaned_data["until"]
        longest = self.today + dt.timedelta(days=settings.PLUMBLINE_REVIEW_DAYS)
        if until <= self.today:
            raise forms.ValidationError("Choose a day after today.")
        if until > longest:
            raise forms.ValidationError(
                f"A spec can be snoozed for at most {settings.PLUMBLINE_REVIEW_DAYS} days "
                f"(the review policy): choose {longest.isoformat()} or earlier."
            )
        return until

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why, so the next reader knows.")
        return reason
