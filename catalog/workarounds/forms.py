"""What a confirmation may carry, from a form (page, link) or a ping's JSON body: hours (optional,
a number of hours as the spec's hours are) and a note (optional, short text)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from catalog.spec import checks
from catalog.workarounds.runs import NOTE_MAX
from plumbline import storable


class BadConfirmation(ValueError):
    """A confirmation body that is not the documented JSON; refused with 400, nothing written."""


class DoneForm(forms.Form):
    hours = forms.FloatField(
        label="Hours it took",
        required=False,
        min_value=0,
        max_value=checks.MAX_HOURS,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX)

    def clean_note(self) -> str:
        note: str = self.cleaned_data["note"]
        if found := storable.text_problem(note):
            raise forms.ValidationError(f"The note {found}.")
        return note


def parse_done_body(raw: bytes) -> tuple[float | None, str]:
    """(hours, note) of a ping's body: empty, or a JSON object with optional "hours" and "note"."""
    if not raw.strip():
        return None, ""
    try:
        data: Any = json.loads(raw)
    except RecursionError:
        raise BadConfirmation("body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadConfirmation(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadConfirmation('body must be a JSON object such as {"hours": 1.5, "note": "..."}')
    unknown = sorted(set(data) - {"hours", "note"})
    if unknown:
        raise BadConfirmation(f"unknown field {unknown[0]!r} (known: hours, note)")
    hours = data.get("hours")
    if hours is not None:
        try:
            hours = checks.hours(hours)
        except checks.Invalid as error:
            raise BadConfirmation(f"hours {error}") from None
    note = data.get("note")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise BadConfirmation("note must be text")
    if len(note) > NOTE_MAX:
        raise BadConfirmation(f"note must be at most {NOTE_MAX} characters")
    if found := storable.text_problem(note):
        raise BadConfirmation(f"note {found}")
    return hours, note
