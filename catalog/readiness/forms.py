"""The two small forms of the readiness page: record an attestation, sign off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone

from catalog.models import AttestedItem, Integration


class AttestationForm(forms.Form):
    integration = forms.ChoiceField(label="Integration")
    item = forms.ChoiceField(label="What was done", choices=AttestedItem.choices)
    performed_by = forms.CharField(label="Done by", max_length=200)
    performed_on = forms.DateField(label="Done on", widget=forms.DateInput(attrs={"type": "date"}))
    evidence_url = forms.URLField(
        label="Evidence link",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="A run log, ticket or recording that shows it (http or https).",
    )

    def __init__(self, *args: Any, integrations: Sequence[Integration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.integrations = {i.key: i for i in integrations}
        field = self.fields["integration"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.key, i.display_name) for i in integrations]

    def clean_performed_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["performed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Attest what was done, not what is planned: the day cannot be in the future.")
        return day

    def clean_performed_by(self) -> str:
        who: str = self.cleaned_data["performed_by"].strip()
        if not who:
            raise forms.ValidationError("Name who did it.")
        return who

    @property
    def chosen_integration(self) -> Integration:
        return self.integrations[self.cleaned_data["integration"]]


class SignOffForm(forms.Form):
    override_reason = forms.CharField(
        label="Reason to go ahead despite the blockers",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required while anything blocks; kept with the sign-off.",
    )


class ReviewSignOffForm(forms.Form):
    notes = forms.CharField(
        label="Review notes",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was agreed about what is left: kept with the review and the figures it was signed on.",
    )
