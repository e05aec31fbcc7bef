"""Page and admin forms. Spec fields are validated by the same rules as import (SpecForm, through
edits.field_errors), mapping rows by the import's own mapping checks."""

from __future__ import annotations

import re
from typing import Any

import yaml
from django import forms
from django.core.files.uploadedfile import UploadedFile

from catalog.choices import HealthKind
from catalog.filters import NEITHER
from catalog.models import Calendar, DataObject, GoLive, Integration, Person, PlatformAccount, System, ValueMap
from catalog.spec import edits
from catalog.spec.checks import Invalid
from catalog.spec.limits import GOLIVE_INTEGRATIONS_MAX, MB, UPLOAD_MAX_BYTES
from catalog.spec.schema import INTEGRATION, MAPPING_FIELDS

NOT_STATED = "(not stated)"
SPEC_PATHS: dict[str, str] = {f.attr: f.path for f in INTEGRATION.fields} | {"key": "key"}


class SpecForm(forms.ModelForm):
    """Rejects what import would reject, naming the field."""

    def show_person(self, name: str) -> None:
        """A person field shows the stored person's email, and "not stated" when there is none."""
        person = getattr(self.instance, name) if getattr(self.instance, f"{name}_id") else None
        self.initial[name] = person.email if person else None
        field: Any = self.fields[name]
        field.empty_label = NOT_STATED

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        for attr, messages in edits.field_errors(self.instance).items():
            target = attr if attr in self.fields else None
            for message in messages:
                self.add_error(target, message)


# (heading, fields) in the order of spec-format.md, so the form reads like a spec file.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Integration", ("key", "name", "description", "lifecycle", "phase")),
    ("Systems", ("source", "target", "direction", "data_objects", "sequence_sensitive")),
    (
        "Sync",
        (
            "sync_trigger",
            "interval_minutes",
            "max_latency_minutes",
            "vendor_claim",
            "min_records_per_run",
            "sync_schedule",
            "sync_timezone",
            "sync_calendar",
            "freeze",
            "ordering_key",
            "idempotency_key",
        ),
    ),
    ("Reconciliation", ("reconciliation_tolerance_percent", "reconciliation_tolerance_records")),
    ("Error handling", ("error_surface", "error_notify", "resync")),
    (
        "Connector and maintenance",
        (
            "connector_type",
            "connector_platform",
            "maintained_by",
            "compatibility_sla_days",
            "api_version",
            "api_retirement_date",
        ),
    ),
    ("Ownership", ("owner", "backup_owner", "documentation", "reviewed_at")),
    (
        "Phase two and workaround",
        (
            "deferred_since",
            "target_date",
            "workaround_description",
            "workaround_performed_by",
            "workaround_hours_per_month",
            "workaround_every",
            "build_estimate_hours",
        ),
    ),
    ("Cost", ("cost_licence_per_month", "cost_maintenance_hours_per_month")),
    ("Health", ("health_kind", "health_grace_minutes", "health_url", "health_account", "health_ref")),
)


def without_blank(field: Any) -> list[tuple[Any, Any]]:
    """A choice field's choices less the blank one its widget adds."""
    return [choice for choice in field.choices if choice[0] != ""]


class TextListField(forms.CharField):
    """A list of text items typed as "a, b, c" (or one per line)."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        return [item.strip() for item in re.split(r"[,\n]", value or "") if item.strip()]


class FreezeField(forms.CharField):
    """Close freezes typed as the spec writes them: a YAML list of periods. The spec's own check
    (through SpecForm) says what is wrong with one."""

    widget = forms.Textarea(attrs={"rows": 3})
    default_help_text = "YAML, e.g. [{from: 2027-01-01, to: 2027-01-04}, {last_business_days: 2, calendar: finance-de}]"

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip() if value else ""
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list):
            return value
        if not (value or "").strip():
            return []
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            raise forms.ValidationError("must be a YAML list of periods") from None
        # Dates stay text, as the spec stores them.
        return parsed if not isinstance(parsed, list) else [_dates_as_text(item) for item in parsed]


def _dates_as_text(item: Any) -> Any:
    if isinstance(item, dict):
        return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in item.items()}
    return item


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.email})" if obj.name else obj.email


class KeyedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = getattr(obj, "name", "")
        return f"{name} ({obj.key})" if name else obj.key


def _person_field(label: str) -> PersonChoiceField:
    return PersonChoiceField(Person.objects.all(), to_field_name="email", required=False, label=label)


def _keyed_field(model: Any, label: str) -> KeyedChoiceField:
    return KeyedChoiceField(model.objects.all(), to_field_name="key", required=False, label=label)


class IntegrationForm(SpecForm):
    """An integration's spec fields. `creator_email`, when given, must be the owner or backup
    owner, so an owner creating an integration can edit it afterwards."""

    source = _keyed_field(System, "Source system")
    target = _keyed_field(System, "Target system")
    owner = _person_field("Owner")
    backup_owner = _person_field("Backup owner")
    workaround_performed_by = _person_field("Workaround performed by")
    health_account = _keyed_field(PlatformAccount, "Platform account")
    sync_calendar = _keyed_field(Calendar, "Business calendar")
    freeze = FreezeField(required=False, label="Freezes", help_text=FreezeField.default_help_text)
    data_objects = TextListField(required=False, label="Data objects", help_text="comma-separated")
    error_notify = TextListField(
        required=False,
        label="Notify",
        help_text="emails, #channels, URLs or slack:#channel, teams:name, pagerduty:service; comma-separated",
    )

    class Meta:
        model = Integration
        fields = [name for _, names in SECTIONS for name in names]
        labels = {
            "key": "Key",
            "sequence_sensitive": "Sequence sensitive",
            "connector_type": "Connector type",
            "connector_platform": "Platform",
            "compatibility_sla_days": "Compatibility SLA (days)",
            "api_version": "API version",
            "api_retirement_date": "API retirement date",
            "sync_trigger": "Trigger",
            "interval_minutes": "Interval (minutes)",
            "max_latency_minutes": "Maximum latency (minutes)",
            "min_records_per_run": "Minimum records per run",
            "reconciliation_tolerance_percent": "Tolerated shortfall (%)",
            "reconciliation_tolerance_records": "Tolerated shortfall (records)",
            "sync_schedule": "Schedule (cron)",
            "sync_timezone": "Time zone",
            "error_surface": "Failures surface as",
            "resync": "Resync after an outage",
            "documentation": "Documentation URL",
            "reviewed_at": "Reviewed on",
            "workaround_description": "Workaround",
            "workaround_hours_per_month": "Workaround hours per month",
            "workaround_every": "Workaround due (cron, weekly or monthly)",
            "cost_licence_per_month": "Licence per month",
            "cost_maintenance_hours_per_month": "Maintenance hours per month",
            "health_kind": "Health source",
            "health_grace_minutes": "Grace (minutes)",
            "health_url": "Status URL",
            "health_ref": "Platform reference",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "workaround_description": forms.Textarea(attrs={"rows": 3}),
            "api_retirement_date": forms.DateInput(attrs={"type": "date"}),
            "reviewed_at": forms.DateInput(attrs={"type": "date"}),
            "deferred_since": forms.DateInput(attrs={"type": "date"}),
            "target_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, creator_email: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator_email = creator_email
        if self.instance.pk:
            # The key names the spec file and every reference to it: it is not edited here.
            del self.fields["key"]
        fields: dict[str, Any] = self.fields
        for name, field in fields.items():
            if isinstance(field, forms.ModelChoiceField) and self.instance.pk:
                # Options are keyed by spec key (email, key), not by primary key.
                related = getattr(self.instance, name)
                self.initial[name] = getattr(related, field.to_field_name or "pk") if related else None
            if isinstance(field.widget, forms.NullBooleanSelect):
                field.widget.choices = [(NEITHER, "Derived from the data objects"), ("true", "Yes"), ("false", "No")]
            elif isinstance(field, forms.ModelChoiceField):
                field.empty_label = NOT_STATED
            elif isinstance(field, forms.ChoiceField) and field.required is False:
                field.choices = [("", NOT_STATED), *without_blank(field)]

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, str]]]]:
        """(heading, [(field, its path in the spec file)]) in spec-format order."""
        return [
            (title, [(self[name], SPEC_PATHS.get(name, name)) for name in names if name in self.fields])
            for title, names in SECTIONS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("health_kind") != HealthKind.JSON:
            # health.kind json's settings (docs/json-health.md) are written in a spec file or through the
            # API, not on this form: another kind chosen here drops them, as a spec without them would.
            self.instance.health_json = {}
        if self.creator_email:
            named = {p.email.lower() for p in (cleaned.get("owner"), cleaned.get("backup_owner")) if p}
            if self.creator_email.lower() not in named:
                self.add_error(
                    "owner",
                    "Name yourself as owner or backup owner; "
                    "otherwise you could not edit this integration after saving.",
                )
        return cleaned


class MappingForm(forms.Form):
    """One mapping row. A row left blank is no mapping; a filled row needs source and target."""

    source = forms.CharField(required=False, max_length=200)
    target = forms.CharField(required=False, max_length=200)
    required = forms.BooleanField(required=False)
    transform = forms.CharField(required=False, max_length=200)
    value_map = forms.CharField(required=False, max_length=100, label="Value map")
    note = forms.CharField(required=False, max_length=500)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in MAPPING_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.is_blank() or cleaned.get("DELETE"):
            return cleaned
        for name in ("source", "target"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, f"a mapping needs a {name} field; clear the whole row to remove it")
        for name, check in MAPPING_FIELDS.items():
            if cleaned.get(name) not in (None, ""):
                try:
                    cleaned[name] = check(cleaned[name])
                except Invalid as error:
                    self.add_error(name, str(error))
        return cleaned

    def mapping_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or ("" if name != "required" else False) for name in MAPPING_FIELDS}


class BaseMappingFormSet(forms.BaseFormSet):
    """The value maps the rows name must exist: checked for all rows in one query, as import checks them."""

    def clean(self) -> None:
        super().clean()
        named = {
            form: form.cleaned_data["value_map"]
            for form in self.forms
            if form.is_valid()
            and not form.is_blank()
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("value_map")
        }
        known = set(ValueMap.objects.filter(key__in=set(named.values())).values_list("key", flat=True))
        for form, key in named.items():
            if key not in known:
                form.add_error("value_map", f"unknown value map {key!r}")


MappingFormSet = forms.formset_factory(
    MappingForm, formset=BaseMappingFormSet, extra=1, can_delete=True, can_order=True, max_num=500
)


def mapping_formset(data: Any = None, mappings: list[Any] | None = None) -> Any:
    """Unbound: the stored mappings as rows. Bound: only what was posted counts, so a
    row that matches a stored mapping is kept, not skipped as "unchanged"."""
    if data is not None:
        return MappingFormSet(data, prefix="mappings")
    initial = [{name: getattr(m, name) for name in MAPPING_FIELDS} for m in mappings or []]
    return MappingFormSet(initial=initial, prefix="mappings")


def ordered_mappings(formset: Any) -> list[dict[str, Any]]:
    """Kept rows in the order the author put them (ORDER, then position on the page)."""
    return [form.mapping_values() for form in formset.ordered_forms if not form.is_blank()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".yaml,.yml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single(item, initial) for item in files]


class UploadForm(forms.Form):
    spec_files = MultipleFileField(
        label="Spec files (YAML)", help_text="one or more .yaml files in the plumbline/v1 format"
    )

    def contents(self) -> list[tuple[str, bytes]]:
        """(file name, bytes) of every uploaded file; call after is_valid(). Whether each is
        text and small enough is the importer's to say (importer.decode_sources)."""
        return list(self.cleaned_data["contents"])

    def clean_spec_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["spec_files"]
        if sum(f.size or 0 for f in files) > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"the files add up to more than {UPLOAD_MAX_BYTES // MB} MB")
        self.cleaned_data["contents"] = [(upload.name or "upload.yaml", upload.read()) for upload in files]
        return files


class SystemForm(SpecForm):
    """A system's spec fields; a version change is dated in its version history on save."""

    owner = _person_field("Owner")
    freeze = FreezeField(required=False, label="Freezes", help_text=FreezeField.default_help_text)

    class Meta:
        model = System
        fields = ["name", "category", "vendor", "version", "owner", "freeze"]
        help_texts = {"version": "A change of the major part makes the specs touching this system stale."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_person("owner")


class NewSystemForm(SystemForm):
    """A new system: its key too, checked like an imported one's."""

    class Meta(SystemForm.Meta):
        fields = ["key", *SystemForm.Meta.fields]


class DataObjectForm(SpecForm):
    """A data object: which system masters it and who answers for it; the key is what integrations'
    data_objects lists name."""

    master = _keyed_field(System, "Master (system of record)")
    owner = _person_field("Owner")

    class Meta:
        model = DataObject
        fields = ["key", "name", "description", "master", "owner", "sequence_sensitive"]
        help_texts = {
            "key": "As integrations name it in their data_objects lists, e.g. customer.",
            "sequence_sensitive": "Integrations carrying it whose own sequence_sensitive is unset follow this.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_person("owner")
        if self.instance.pk:
            self.fields["key"].disabled = True


class PersonForm(SpecForm):
    """A person's spec fields; the email is the key, so it is set when the person is added."""

    manager = _person_field("Manager")

    class Meta:
        model = Person
        fields = ["email", "name", "team", "manager", "active"]
        help_texts = {"active": "Untick once they have left the company: what they own is then flagged."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_person("manager")
        if self.instance.pk:
            self.fields["email"].disabled = True  # the key: rename by adding a new person


class PlatformAccountForm(SpecForm):
    """An iPaaS tenant: where its API is and the *name* of the variable holding its credential."""

    class Meta:
        model = PlatformAccount
        fields = ["key", "platform", "base_url", "account_id", "secret_env", "token_url", "scope"]
        help_texts = {
            "account_id": (
                'Boomi: the account id; MuleSoft: "<orgId>/<envId>"; Azure Logic Apps: '
                '"<subscriptionId>/<resourceGroup>"; others: leave empty.'
            ),
            "secret_env": "The name of a PLUMBLINE_CRED_* environment variable, never the credential itself.",
            "token_url": (
                'OAuth2 client credentials: the token endpoint; the variable then holds "client_id:client_secret".'
            ),
            "scope": "The OAuth2 scope asked for; empty for the platform's default.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["key"].disabled = True


class ValueMapForm(SpecForm):
    """A value map's fields but its rows, which a CSV upload on its page replaces whole."""

    owner = _person_field("Owner")

    class Meta:
        model = ValueMap
        fields = ["key", "name", "description", "owner", "reviewed_at"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "reviewed_at": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"reviewed_at": "Reviewed on"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_person("owner")
        if self.instance.pk:
            self.fields["key"].disabled = True


class GoLiveForm(SpecForm):
    """A go-live: its date, approver and the integrations that must be ready for it."""

    approver = _person_field("Approver")
    integrations = forms.ModelMultipleChoiceField(
        Integration.objects.order_by("name"),
        to_field_name="key",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="The integrations in scope; hold Ctrl (or ⌘) to pick several.",
    )

    class Meta:
        model = GoLive
        fields = ["key", "name", "date", "approver"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_person("approver")
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.initial["integrations"] = [
                row.integration.key for row in self.instance.scope.select_related("integration")
            ]

    def _post_clean(self) -> None:
        # The spec's check of the scope (its size, each key once) runs on the document as it would be saved.
        super()._post_clean()
        chosen = self.cleaned_data.get("integrations")
        if chosen is not None and len(chosen) > GOLIVE_INTEGRATIONS_MAX:
            self.add_error("integrations", f"at most {GOLIVE_INTEGRATIONS_MAX} integrations per go-live")
