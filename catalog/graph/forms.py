"""The graph page's filters as a form: validates the query string into a GraphFilter."""

from __future__ import annotations

from typing import Any

from django import forms

from catalog.choices import ConnectorType, HealthState, Lifecycle
from catalog.graph.model import UNMONITORED
from catalog.graph.view import MAX_DEPTH, GraphFilter

HEALTH_CHOICES = [(state.value, state.value) for state in HealthState] + [(UNMONITORED, "not monitored")]


class GraphFilterForm(forms.Form):
    system = forms.CharField(required=False, max_length=100, label="System")
    depth = forms.IntegerField(required=False, min_value=1, max_value=MAX_DEPTH, label="Depth")
    owner = forms.CharField(required=False, max_length=254, label="Owner")
    golive = forms.CharField(required=False, max_length=100, label="Go-live")
    lifecycle = forms.ChoiceField(required=False, choices=[("", "any"), *Lifecycle.choices])
    connector = forms.ChoiceField(required=False, choices=[("", "any"), *ConnectorType.choices])
    health = forms.ChoiceField(required=False, choices=[("", "any"), *HEALTH_CHOICES], label="Health state")
    gaps = forms.BooleanField(required=False, label="Only integrations with spec gaps")
    hubs = forms.BooleanField(required=False, label="Draw iPaaS platforms as hubs")
    blast = forms.CharField(required=False, max_length=100, label="Blast radius of")
    object = forms.CharField(required=False, max_length=200, label="Carrying data object")

    def __init__(
        self,
        data: Any,
        *,
        systems: dict[str, str],
        people: dict[str, str],
        golives: dict[str, str],
    ) -> None:
        super().__init__(data)
        self.systems = systems
        self.people = people
        self.golives = golives

    def _known(self, field: str, known: dict[str, str], what: str) -> str:
        value: str = self.cleaned_data.get(field, "").strip()
        if value and value not in known:
            raise forms.ValidationError(f"No {what} with the key {value!r}.")
        return value

    def clean_system(self) -> str:
        return self._known("system", self.systems, "system")

    def clean_blast(self) -> str:
        return self._known("blast", self.systems, "system")

    def clean_owner(self) -> str:
        return self._known("owner", self.people, "person")

    def clean_golive(self) -> str:
        return self._known("golive", self.golives, "go-live")

    def to_filter(self) -> GraphFilter:
        data = self.cleaned_data
        return GraphFilter(
            system=data["system"],
            depth=data["depth"] or 1,
            owner=data["owner"],
            golive=data["golive"],
            lifecycle=data["lifecycle"],
            connector=data["connector"],
            health=data["health"],
            gaps=data["gaps"],
            hubs=data["hubs"],
            blast=data["blast"],
            object=data["object"].strip(),
        )
