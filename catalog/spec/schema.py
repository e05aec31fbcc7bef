"""The plumbline/v1 spec format as data: for each kind, its fields in document order, how
each is checked and which model attribute holds it. This table is the one place spec
validation lives; import, forms and the API all go through `validate()`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import models

from catalog import choices
from catalog.models import Calendar, DataObject, GoLive, Integration, Person, PlatformAccount, System, ValueMap
from catalog.spec import checks
from catalog.spec.checks import Check, Invalid
from catalog.spec.limits import DATA_OBJECTS_MAX, GOLIVE_INTEGRATIONS_MAX, MAPPINGS_MAX, NOTIFY_MAX
from catalog.spec.maintenance import maintenance_list
from catalog.spec.value_rows import check_rows

API_VERSION = "plumbline/v1"


@dataclass(frozen=True)
class Field:
    path: str  # dotted document path: "sync.interval_minutes"
    attr: str  # model attribute; for references the relation name ("owner")
    check: Check
    ref: str | None = None  # kind a reference points at
    default: Any = None  # model value when the document leaves the field out
    always: bool = False  # exported even when it holds the default
    required: bool = False
    # Stored under this key of the JSON object `attr` holds, not in an attribute of its own
    # (health.kind json's settings share Integration.health_json).
    within: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[models.Model]
    key_attr: str
    key_check: Check
    fields: tuple[Field, ...]
    # Fields whose value is a list of sub-documents or references, handled by name.
    list_fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name.lower()

    @cached_property
    def groups(self) -> frozenset[str]:
        return frozenset(f.path.split(".")[0] for f in self.fields if "." in f.path)

    @cached_property
    def top_level(self) -> frozenset[str]:
        """Every top-level field name a document of this kind may carry."""
        names = {f.path.split(".")[0] for f in self.fields}
        return frozenset(names | set(self.list_fields) | {"apiVersion", "kind", "key"})

    @cached_property
    def group_fields(self) -> dict[str, frozenset[str]]:
        """For each nested group, the names allowed inside it."""
        found: dict[str, set[str]] = {}
        for f in self.fields:
            group, _, name = f.path.partition(".")
            if name:
                found.setdefault(group, set()).add(name)
        return {group: frozenset(names) for group, names in found.items()}


def _text(n: int = 200) -> Check:
    return checks.text(n)


def _ref(path: str, attr: str, kind: str) -> Field:
    check = checks.email if kind == "Person" else checks.key
    return Field(path, attr, check, ref=kind)


PERSON = Kind(
    name="Person",
    model=Person,
    key_attr="email",
    key_check=checks.email,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("team", "team", _text(), default=""),
        _ref("manager", "manager", "Person"),
        Field("active", "active", checks.boolean, default=True),
    ),
)

SYSTEM = Kind(
    name="System",
    model=System,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("category", "category", checks.enum(choices.Category.values), default="other", always=True),
        Field("vendor", "vendor", _text(), default=""),
        Field("version", "version", _text(50), default=""),
        _ref("owner", "owner", "Person"),
        Field("maintenance", "maintenance", maintenance_list, default=[]),
        Field("freeze", "freeze", checks.freezes, default=[]),
    ),
)

CALENDAR = Kind(
    name="Calendar",
    model=Calendar,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("timezone", "timezone", checks.timezone, default="UTC"),
        Field("working_days", "working_days", checks.weekdays, default=["mon", "tue", "wed", "thu", "fri"]),
        Field("holidays", "holidays", checks.date_list, default=[]),
    ),
)

DATA_OBJECT = Kind(
    name="DataObject",
    model=DataObject,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("description", "description", checks.long_text, default=""),
        _ref("master", "master", "System"),
        _ref("owner", "owner", "Person"),
        Field("sequence_sensitive", "sequence_sensitive", checks.boolean, default=False, always=True),
    ),
)

VALUE_MAP = Kind(
    name="ValueMap",
    model=ValueMap,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("description", "description", checks.long_text, default=""),
        _ref("owner", "owner", "Person"),
        Field("reviewed_at", "reviewed_at", checks.date),
        # `csv: <file>` beside the spec stands for rows in a file import (importer.py reads it).
        Field("rows", "rows", check_rows, default=[]),
    ),
)

PLATFORM_ACCOUNT = Kind(
    name="PlatformAccount",
    model=PlatformAccount,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("platform", "platform", checks.enum(choices.ACCOUNT_PLATFORMS), required=True),
        Field("base_url", "base_url", checks.url, required=True),
        Field("account_id", "account_id", _text(), default=""),
        Field("secret_env", "secret_env", checks.credential_env, default=""),
        Field("token_url", "token_url", checks.url, default=""),
        Field("scope", "scope", _text(500), default=""),
    ),
)

INTEGRATION = Kind(
    name="Integration",
    model=Integration,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("description", "description", checks.long_text, default=""),
        _ref("source", "source", "System"),
        _ref("target", "target", "System"),
        Field("direction", "direction", checks.enum(choices.Direction.values), default="one-way", always=True),
        Field("data_objects", "data_objects", checks.text_list(DATA_OBJECTS_MAX), default=[]),
        Field("sequence_sensitive", "sequence_sensitive", checks.boolean),
        Field("lifecycle", "lifecycle", checks.enum(choices.Lifecycle.values), default="live", always=True),
        Field("phase", "phase", checks.enum(choices.Phase.values), default="go-live", always=True),
        Field("connector.type", "connector_type", checks.enum(choices.ConnectorType.values), default=""),
        Field("connector.platform", "connector_platform", checks.enum(choices.CONNECTOR_PLATFORMS), default=""),
        Field("connector.maintained_by", "maintained_by", checks.enum(choices.MaintainedBy.values), default=""),
        Field("connector.compatibility_sla_days", "compatibility_sla_days", checks.non_negative_integer),
        Field("connector.api_version", "api_version", _text(50), default=""),
        Field("connector.api_retirement_date", "api_retirement_date", checks.date),
        Field("sync.trigger", "sync_trigger", checks.enum(choices.Trigger.values), default=""),
        Field("sync.interval_minutes", "interval_minutes", checks.positive_integer),
        Field("sync.max_latency_minutes", "max_latency_minutes", checks.positive_integer),
        Field("sync.vendor_claim", "vendor_claim", _text(), default=""),
        Field("sync.min_records_per_run", "min_records_per_run", checks.non_negative_integer),
        Field("sync.schedule", "sync_schedule", checks.cron, default=""),
        Field("sync.timezone", "sync_timezone", checks.timezone, default="UTC"),
        _ref("sync.calendar", "sync_calendar", "Calendar"),
        Field("freeze", "freeze", checks.freezes, default=[]),
        Field("reconciliation.tolerance_percent", "reconciliation_tolerance_percent", checks.percent),
        Field("reconciliation.tolerance_records", "reconciliation_tolerance_records", checks.non_negative_integer),
        Field("ordering_key", "ordering_key", _text(), default=""),
        Field("idempotency_key", "idempotency_key", _text(), default=""),
        Field("error_handling.surface", "error_surface", checks.enum(choices.ErrorSurface.values), default=""),
        Field("error_handling.notify", "error_notify", checks.notify_list(NOTIFY_MAX), default=[]),
        Field("error_handling.resync", "resync", checks.enum(choices.Resync.values), default=""),
        _ref("owner", "owner", "Person"),
        _ref("backup_owner", "backup_owner", "Person"),
        Field("documentation", "documentation", checks.url, default=""),
        Field("reviewed_at", "reviewed_at", checks.date),
        Field("deferred_since", "deferred_since", checks.date),
        Field("target_date", "target_date", checks.date),
        Field("workaround.description", "workaround_description", checks.long_text, default=""),
        _ref("workaround.performed_by", "workaround_performed_by", "Person"),
        Field("workaround.hours_per_month", "workaround_hours_per_month", checks.hours),
        Field("workaround.every", "workaround_every", checks.workaround_every, default=""),
        Field("build_estimate_hours", "build_estimate_hours", checks.hours),
        Field("cost.licence_per_month", "cost_licence_per_month", checks.money),
        Field("cost.maintenance_hours_per_month", "cost_maintenance_hours_per_month", checks.hours),
        Field(
            "health.kind",
            "health_kind",
            checks.enum(choices.HEALTH_KINDS),
            default=choices.HealthKind.NONE.value,
            always=True,
        ),
        Field("health.grace_minutes", "health_grace_minutes", checks.non_negative_integer),
        Field("health.url", "health_url", checks.url, default=""),
        _ref("health.account", "health_account", "PlatformAccount"),
        Field("health.ref", "health_ref", _text(), default=""),
        # health.kind json (docs/json-health.md), kept together in Integration.health_json.
        Field("health.path", "health_json", checks.url_path, default="", within="path"),
        Field("health.items", "health_json", checks.expression, default="", within="items"),
        Field("health.fields", "health_json", checks.run_fields, default={}, within="fields"),
        Field("health.status_map", "health_json", checks.status_map, default={}, within="status_map"),
        Field("health.next", "health_json", checks.expression, default="", within="next"),
        Field("health.failed_records", "health_json", checks.expression, default="", within="failed_records"),
    ),
    list_fields=("mappings",),
)

GOLIVE = Kind(
    name="GoLive",
    model=GoLive,
    key_attr="key",
    key_check=checks.key,
    fields=(
        Field("name", "name", _text(), default=""),
        Field("date", "date", checks.date),
        _ref("approver", "approver", "Person"),
    ),
    list_fields=("integrations",),
)

# The health block's keys only health.kind json reads.
JSON_HEALTH_PATHS = tuple(f.path for f in INTEGRATION.fields if f.within)

KINDS: dict[str, Kind] = {
    k.name: k for k in (PERSON, CALENDAR, SYSTEM, DATA_OBJECT, PLATFORM_ACCOUNT, VALUE_MAP, INTEGRATION, GOLIVE)
}
# The order documents are written in, so references always point backwards.
WRITE_ORDER: tuple[str, ...] = (
    "Person",
    "Calendar",
    "System",
    "DataObject",
    "PlatformAccount",
    "ValueMap",
    "Integration",
    "GoLive",
)

MAPPING_FIELDS: dict[str, Check] = {
    "source": _text(),
    "target": _text(),
    "required": checks.boolean,
    "transform": _text(),
    "note": _text(500),
    "value_map": checks.key,  # a ValueMap document's key, for transform: lookup
}

GOLIVE_INTEGRATIONS: Check = checks.key_list(GOLIVE_INTEGRATIONS_MAX)


@dataclass
class CleanDocument:
    """A document that passed validation: values by dotted path, ready to apply."""

    kind: Kind
    key: str
    values: dict[str, Any]
    mappings: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[str] = field(default_factory=list)

    def references(self) -> list[tuple[str, str, str]]:
        """(path, kind, key) of every reference this document makes."""
        found = [
            (f.path, f.ref, self.values[f.path])
            for f in self.kind.fields
            if f.ref and self.values.get(f.path) is not None
        ]
        found += [(f"integrations[{i}]", "Integration", k) for i, k in enumerate(self.integrations)]
        found += [
            (f"mappings[{i}].value_map", "ValueMap", m["value_map"])
            for i, m in enumerate(self.mappings)
            if m.get("value_map")
        ]
        found += [
            (f"freeze[{i}].calendar", "Calendar", period["calendar"])
            for i, period in enumerate(self.values.get("freeze", []))
            if period.get("calendar")
        ]
        return found


FieldErrors = list[tuple[str, str]]


def _at(path: str, at: str) -> str:
    """The field path of an error in part of a value: "health.fields.status", "error_handling.notify[2]"."""
    if not at:
        return path
    return f"{path}{at}" if at.startswith("[") else f"{path}.{at}"


def _suggest(name: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(allowed), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _flatten(kind: Kind, doc: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """Nested groups to dotted paths; unknown fields and non-mapping groups are errors."""
    allowed = kind.top_level
    flat: dict[str, Any] = {}
    for name, value in doc.items():
        if name not in allowed:
            errors.append((str(name), f"unknown field{_suggest(str(name), set(allowed))}"))
        elif name in kind.groups:
            if value is None:
                continue
            if not isinstance(value, dict):
                errors.append((name, "must be a mapping of fields"))
                continue
            sub_allowed = kind.group_fields[name]
            for sub, sub_value in value.items():
                if sub not in sub_allowed:
                    errors.append((f"{name}.{sub}", f"unknown field{_suggest(str(sub), set(sub_allowed))}"))
                else:
                    flat[f"{name}.{sub}"] = sub_value
        else:
            flat[name] = value
    return flat


def _clean_mappings(value: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(("mappings", "must be a list of mappings"))
        return []
    if len(value) > MAPPINGS_MAX:
        errors.append(("mappings", f"must list at most {MAPPINGS_MAX:,} mappings"))
        return []
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"mappings[{index}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mapping with source and target"))
            continue
        row: dict[str, Any] = {}
        for name, raw in item.items():
            check = MAPPING_FIELDS.get(name)
            if check is None:
                errors.append((f"{where}.{name}", f"unknown field{_suggest(str(name), set(MAPPING_FIELDS))}"))
            elif raw is not None:
                try:
                    row[name] = check(raw)
                except Invalid as error:
                    errors.append((f"{where}.{name}", str(error)))
        cleaned.append(row)
    return cleaned


def _cross_checks(kind: Kind, values: dict[str, Any], errors: FieldErrors) -> None:
    if kind is not INTEGRATION:
        return
    health = values.get("health.kind", choices.HealthKind.NONE)
    if health == choices.HealthKind.HTTP and not values.get("health.url"):
        errors.append(("health.url", "is required when health.kind is http"))
    if health in choices.PLATFORM_HEALTH_KINDS:
        for part in ("account", "ref"):
            if not values.get(f"health.{part}"):
                errors.append((f"health.{part}", f"is required when health.kind is {health}"))
    if health == choices.HealthKind.JSON:
        _json_health_checks(values, errors)
    else:
        errors += [
            (path, f"is only for health.kind json, not {health}") for path in JSON_HEALTH_PATHS if path in values
        ]


def _json_health_checks(values: dict[str, Any], errors: FieldErrors) -> None:
    """health.kind json reads `url`, or `account` + `path`; `items`, `fields` and `status_map` say how."""
    kind = choices.HealthKind.JSON
    wrong = {path.split(".")[1] for path, _ in errors if path.startswith("health.")}  # said already
    has_url, has_account = bool(values.get("health.url")), bool(values.get("health.account"))
    if has_url and has_account:
        errors.append(("health.account", "give url or account with path, not both"))
    elif not has_url and not has_account:
        errors.append(("health.url", f"is required when health.kind is {kind} (or give account and path)"))
    if has_account and not values.get("health.path") and "path" not in wrong:
        errors.append(("health.path", "is required with health.account (joined to the account's base_url)"))
    if not has_account and values.get("health.path"):
        errors.append(("health.path", "is only read with health.account; put the whole address in health.url"))
    if values.get("health.ref"):
        errors.append(("health.ref", f"is not read when health.kind is {kind}"))
    for part in ("items", "fields", "status_map"):
        if not values.get(f"health.{part}") and part not in wrong:
            errors.append((f"health.{part}", f"is required when health.kind is {kind}"))


def validate(kind_name: str, doc: dict[str, Any]) -> tuple[CleanDocument | None, FieldErrors]:
    """Check one document of a known kind. Returns the clean document, or None and every
    (field path, message) wrong with it. References are checked later, across documents."""
    kind = KINDS[kind_name]
    errors: FieldErrors = []
    if doc.get("apiVersion") != API_VERSION:
        errors.append(("apiVersion", f"must be {API_VERSION}"))
    raw_key = doc.get("key")
    key: str = ""
    if raw_key is None:
        errors.append(("key", "is required"))
    else:
        try:
            key = kind.key_check(raw_key)
        except Invalid as error:
            errors.append(("key", str(error)))
    flat = _flatten(kind, doc, errors)
    values: dict[str, Any] = {}
    for spec_field in kind.fields:
        raw = flat.get(spec_field.path)
        if raw is None:
            if spec_field.required:
                errors.append((spec_field.path, "is required"))
            continue
        try:
            values[spec_field.path] = spec_field.check(raw)
        except Invalid as error:
            errors.append((_at(spec_field.path, error.at), str(error)))
    mappings = _clean_mappings(doc.get("mappings"), errors) if "mappings" in kind.list_fields else []
    integrations: list[str] = []
    if "integrations" in kind.list_fields and doc.get("integrations") is not None:
        try:
            integrations = GOLIVE_INTEGRATIONS(doc["integrations"])
        except Invalid as error:
            errors.append(("integrations", str(error)))
    _cross_checks(kind, values, errors)
    if errors:
        return None, errors
    return CleanDocument(kind, key, values, mappings, integrations), []
