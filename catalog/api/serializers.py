"""API objects are spec documents (spec-format.md, built by catalog.spec.documents) plus a
few computed keys. Writes take a document as JSON and go through the importer, so they are
checked, resolved and recorded exactly like an import of that document.

The declared fields below exist for the OpenAPI schema; reading and writing go through
to_document() and the importer, not through DRF field validation."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from catalog.choices import HealthKind, HealthState
from catalog.completeness import PARTS
from catalog.health import HealthFacts, ping_path, read_health
from catalog.models import ChangeRecord, GoLive, GoLiveIntegration, Integration, ValueMap
from catalog.ownership import can_edit
from catalog.spec import checks, documents
from catalog.spec.edits import instance_keys
from catalog.spec.importer import ImportFailed, SpecError, apply_entries, jsonable, parse_data
from catalog.spec.schema import (
    API_VERSION,
    CALENDAR,
    DATA_OBJECT,
    GOLIVE,
    INTEGRATION,
    KINDS,
    PERSON,
    PLATFORM_ACCOUNT,
    SYSTEM,
    VALUE_MAP,
    Field,
    Kind,
)
from catalog.spec.value_rows import check_rows

from .history import FieldChange, changed_fields

REQUEST_SOURCE = "request"
# Keys of an integration's `health` that monitoring observes; never part of a written spec.
OBSERVED_HEALTH_KEYS = frozenset(
    {"state", "last_success_at", "observed_interval_minutes", "open_failed_records", "ping_url"}
)


def errors_by_field(errors: list[SpecError]) -> dict[str, list[str]]:
    """Importer errors as a DRF error body keyed by field path ("sync.interval_minutes")."""
    found: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        found[error.field or api_settings.NON_FIELD_ERRORS_KEY].append(error.message)
    return dict(found)


def merge_document(current: dict[str, Any], patch: dict[str, Any], groups: frozenset[str]) -> dict[str, Any]:
    """PATCH semantics: given keys replace the current ones, groups (sync, connector, ...)
    merge one level deep, and null removes a field."""
    doc = dict(current)
    for name, value in patch.items():
        if value is None:
            doc.pop(name, None)
        elif name in groups and isinstance(value, dict) and isinstance(doc.get(name), dict):
            merged = {**doc[name], **value}
            doc[name] = {sub: sub_value for sub, sub_value in merged.items() if sub_value is not None}
        else:
            doc[name] = value
    return doc


# --- schema-only field declarations, derived from the spec field table ----------------


def _value_field(kind: Kind, spec_field: Field) -> serializers.Field:
    help_text = None
    if spec_field.ref:
        target = KINDS[spec_field.ref]
        help_text = f"The {'email' if target.name == 'Person' else 'key'} of a {target.label}."
        return serializers.CharField(required=False, help_text=help_text)
    if spec_field.within:  # a part of health.kind json's settings (docs/json-health.md)
        if isinstance(spec_field.default, dict):
            return serializers.DictField(child=serializers.CharField(), required=False)
        return serializers.CharField(required=False)
    model_field: Any = kind.model._meta.get_field(spec_field.attr)
    options: dict[str, Any] = {"required": spec_field.required, "help_text": str(model_field.help_text) or None}
    if model_field.choices:
        return serializers.ChoiceField(choices=[value for value, _ in model_field.choices], **options)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(**options)
    if isinstance(model_field, models.DateField):
        return serializers.DateField(**options)
    if isinstance(model_field, models.IntegerField):
        least = 1 if spec_field.check is checks.positive_integer else 0
        return serializers.IntegerField(min_value=least, max_value=checks.MAX_INTEGER, **options)
    if isinstance(model_field, models.FloatField):
        most = checks.MAX_MONEY if spec_field.check is checks.money else checks.MAX_HOURS
        return serializers.FloatField(min_value=0, max_value=most, **options)
    if spec_field.check is checks.freezes:
        options["help_text"] = "Periods: {from, to} dates, or {first_business_days/last_business_days, calendar}."
    if spec_field.check is check_rows:
        options["help_text"] = "Source value -> target value, each source once; in the detail only."
        return ValueRowSerializer(many=True, **options)
    if spec_field.path == "maintenance" or spec_field.check is checks.freezes:  # lists of mappings
        return serializers.ListField(child=serializers.DictField(), **options)
    if isinstance(model_field, models.JSONField):
        return serializers.ListField(child=serializers.CharField(), **options)
    if isinstance(model_field, models.URLField):
        return serializers.URLField(**options)
    return serializers.CharField(max_length=model_field.max_length, **options)


# Made with type(): "source" would shadow a serializer attribute in a class body.
ValueRowSerializer: type[serializers.Serializer] = type(
    "ValueRowSerializer",
    (serializers.Serializer,),
    {"source": serializers.CharField(), "target": serializers.CharField()},
)


class ObservedIntervalSerializer(serializers.Serializer):
    """How often runs were seen succeeding lately, in minutes; null until enough were."""

    median = serializers.FloatField(read_only=True, allow_null=True, min_value=0)
    p95 = serializers.FloatField(read_only=True, allow_null=True, min_value=0)


def _observed_health_fields() -> dict[str, Any]:
    """The read-only half of an integration's `health`, as IntegrationSerializer.observed_health fills it."""
    return {
        "state": serializers.ChoiceField(choices=HealthState.choices, read_only=True),
        "last_success_at": serializers.DateTimeField(read_only=True, allow_null=True),
        "observed_interval_minutes": ObservedIntervalSerializer(read_only=True),
        "open_failed_records": serializers.IntegerField(read_only=True, min_value=0),
        "ping_url": serializers.URLField(
            read_only=True, help_text="Heartbeat sources only, shown to the integration's owners and admins."
        ),
    }


@cache
def _group_serializer(kind_name: str, group: str) -> type[serializers.Serializer]:
    # One class per group, made once, so the schema names each component once.
    kind = KINDS[kind_name]
    fields = {
        spec_field.path.split(".", 1)[1]: _value_field(kind, spec_field)
        for spec_field in kind.fields
        if spec_field.path.startswith(group + ".")
    }
    namespace: dict[str, Any] = dict(fields)
    if kind_name == INTEGRATION.name and group == "health":
        # Every observed key is always there but ping_url (catalog.api.schema reads optional_read_only).
        namespace.update(_observed_health_fields(), optional_read_only=("ping_url",))
    name = kind_name + "".join(part.capitalize() for part in group.split("_"))
    return type(name, (serializers.Serializer,), namespace)


# Made with type(): "source" and "required" would shadow serializer attributes in a class body.
MappingSerializer: type[serializers.Serializer] = type(
    "MappingSerializer",
    (serializers.Serializer,),
    {
        "source": serializers.CharField(),
        "target": serializers.CharField(),
        "required": serializers.BooleanField(required=False),
        "transform": serializers.CharField(required=False),
        "value_map": serializers.CharField(
            required=False, help_text="The key of a value map (transform: lookup translates by it)."
        ),
        "note": serializers.CharField(required=False),
    },
)


class CompletenessSerializer(serializers.Serializer):
    score = serializers.FloatField(min_value=0, max_value=1, help_text="Parts present / 6.")
    missing = serializers.ListField(child=serializers.ChoiceField(choices=PARTS))


def _document_fields(kind: Kind) -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {
        "apiVersion": serializers.ChoiceField(choices=[API_VERSION], required=False),
        "kind": serializers.ChoiceField(choices=[kind.name], required=False),
        "key": serializers.CharField(help_text="email" if kind is PERSON else "lowercase slug"),
    }
    for spec_field in kind.fields:
        group, _, name = spec_field.path.partition(".")
        if not name:
            fields[group] = _value_field(kind, spec_field)
        elif group not in fields:
            fields[group] = _group_serializer(kind.name, group)(required=False)
    if "mappings" in kind.list_fields:
        fields["mappings"] = MappingSerializer(many=True, required=False)
    if "integrations" in kind.list_fields:
        fields["integrations"] = serializers.ListField(child=serializers.CharField(), required=False)
    fields["url"] = serializers.URLField(read_only=True)
    return fields


# --- spec document serializers --------------------------------------------------------


class SpecSerializer(serializers.Serializer):
    """Base of every spec document serializer; subclasses name their kind."""

    kind: ClassVar[Kind]
    view_name: ClassVar[str]
    select: ClassVar[tuple[str, ...]] = ()
    prefetch: ClassVar[tuple[str | Prefetch, ...]] = ()
    # Keys the API adds to the document; dropped from a write body so GET -> PUT round-trips.
    computed_keys: ClassVar[tuple[str, ...]] = ("url",)

    @classmethod
    def read_queryset(cls) -> QuerySet[Any]:
        """Everything to_representation reads, in a constant number of queries."""
        manager = cls.kind.model._default_manager
        return manager.select_related(*cls.select).prefetch_related(*cls.prefetch)

    def get_fields(self) -> dict[str, serializers.Field]:
        return _document_fields(self.kind)

    def document(self, obj: Any) -> dict[str, Any]:
        # Reference keys come from the select_related objects, not a query per kind.
        return documents.to_document(obj, self.kind, instance_keys(obj, self.kind))

    def computed(self, obj: Any) -> dict[str, Any]:
        return {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        doc: dict[str, Any] = jsonable(self.document(instance))
        key = getattr(instance, self.kind.key_attr)
        doc["url"] = reverse(self.view_name, kwargs={"key": key}, request=self.context.get("request"))
        doc.update(self.computed(instance))
        return doc

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["send one spec document as a JSON object"]}
            )
        body = {name: value for name, value in data.items() if name not in self.computed_keys}
        if self.instance is not None and self.partial:
            body = merge_document(self.document(self.instance), body, self.kind.groups)
        doc = {"apiVersion": API_VERSION, "kind": self.kind.name, **body}
        self._check_key(doc)
        try:
            entries = parse_data(REQUEST_SOURCE, doc)
        except ImportFailed as failed:
            raise serializers.ValidationError(errors_by_field(failed.errors)) from None
        clean = entries[0].clean
        if (
            self.instance is None
            and self.kind.model._default_manager.filter(**{self.kind.key_attr: clean.key}).exists()
        ):
            raise serializers.ValidationError({"key": [f"a {self.kind.label} {clean.key!r} already exists; PUT it"]})
        return {"entries": entries, "clean": clean}

    def _check_key(self, doc: dict[str, Any]) -> None:
        if doc["kind"] != self.kind.name:
            raise serializers.ValidationError({"kind": [f"must be {self.kind.name} here"]})
        if self.instance is None:
            return
        current = getattr(self.instance, self.kind.key_attr)
        doc.setdefault("key", current)
        if doc["key"] != current:
            raise serializers.ValidationError(
                {"key": [f"must be {current!r} as in the URL; to rename, create the new key and delete this one"]}
            )

    def create(self, validated_data: dict[str, Any]) -> Any:
        return self._apply(validated_data)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        return self._apply(validated_data)

    def _apply(self, validated_data: dict[str, Any]) -> Any:
        request = self.context["request"]
        apply_entries(validated_data["entries"], dry_run=False, actor=request.user, via=ChangeRecord.Via.API)
        key = validated_data["clean"].key
        return self.read_queryset().get(**{self.kind.key_attr: key})


class PersonSerializer(SpecSerializer):
    """A person's spec document; the key is their email."""

    kind = PERSON
    view_name = "api:person-detail"
    select = ("manager",)


class SystemSerializer(SpecSerializer):
    """A system's spec document."""

    kind = SYSTEM
    view_name = "api:system-detail"
    select = ("owner",)


class CalendarSerializer(SpecSerializer):
    """A business calendar's spec document: working days and holidays."""

    kind = CALENDAR
    view_name = "api:calendar-detail"


class DataObjectSerializer(SpecSerializer):
    """A data object's spec document: its master system, owner and sequence sensitivity."""

    kind = DATA_OBJECT
    view_name = "api:data-object-detail"
    select = ("master", "owner")


class _WithoutRows:
    """A value map read for a list: its rows are not loaded (deferred), and not shown."""

    def __init__(self, value_map: ValueMap) -> None:
        self._value_map = value_map

    def __getattr__(self, name: str) -> Any:
        return [] if name == "rows" else getattr(self._value_map, name)


class ValueMapSerializer(SpecSerializer):
    """A value map's spec document with its rows; the list leaves rows out and gives row_count
    (a chart of accounts runs to 20,000 rows: read one value map for them)."""

    kind = VALUE_MAP
    view_name = "api:valuemap-detail"
    select = ("owner",)
    computed_keys = ("url", "row_count", "stale")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["row_count"] = serializers.IntegerField(read_only=True, min_value=0)
        fields["stale"] = serializers.BooleanField(
            read_only=True, help_text="Never reviewed, or last reviewed more than PLUMBLINE_REVIEW_DAYS ago."
        )
        return fields

    def document(self, obj: Any) -> dict[str, Any]:
        listed = isinstance(self.parent, serializers.ListSerializer)
        return super().document(_WithoutRows(obj) if listed else obj)

    def computed(self, obj: ValueMap) -> dict[str, Any]:
        stale = obj.is_stale(timezone.localdate(), settings.PLUMBLINE_REVIEW_DAYS)
        return {"row_count": obj.row_count, "stale": stale}


class PlatformAccountSerializer(SpecSerializer):
    """secret_env is the NAME of the environment variable holding the credential; no secret
    value is stored anywhere, so none can be returned."""

    kind = PLATFORM_ACCOUNT
    view_name = "api:platform-account-detail"


class IntegrationSerializer(SpecSerializer):
    """An integration's spec document, mappings included, with its completeness."""

    kind = INTEGRATION
    view_name = "api:integration-detail"
    select = (
        "source",
        "target",
        "owner",
        "backup_owner",
        "workaround_performed_by",
        "health_account",
        "sync_calendar",
    )
    prefetch = ("mappings",)
    computed_keys = ("url", "completeness")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["completeness"] = CompletenessSerializer(read_only=True)
        return fields

    def document(self, obj: Integration) -> dict[str, Any]:
        keys = instance_keys(obj, self.kind)
        return documents.to_document(obj, self.kind, keys, mappings=list(obj.mappings.all()))

    def computed(self, obj: Integration) -> dict[str, Any]:
        return {"completeness": {"score": round(obj.completeness_score, 2), "missing": obj.missing_parts}}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        doc = super().to_representation(instance)
        doc["health"] = {**doc.get("health", {}), **self.observed_health(instance)}
        return doc

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # The observed half of `health` is read-only: a GET body PUT back must not fail on it.
        if isinstance(data, dict) and isinstance(data.get("health"), dict):
            observed = {k: v for k, v in data["health"].items() if k not in OBSERVED_HEALTH_KEYS}
            data = {**data, "health": observed}
        return super().to_internal_value(data)

    def observed_health(self, obj: Integration) -> dict[str, Any]:
        """Monitoring's current state (DESIGN.md "Interfaces"), read for the whole page at once."""
        facts = self._health_facts(obj)
        observed: dict[str, Any] = {
            "state": facts.state if facts else HealthState.UNKNOWN,
            "last_success_at": facts.last_success_at.isoformat() if facts and facts.last_success_at else None,
            "observed_interval_minutes": {
                "median": facts.observed_median_minutes if facts else None,
                "p95": facts.observed_p95_minutes if facts else None,
            },
            "open_failed_records": facts.open_failed_records if facts else 0,
        }
        request = self.context.get("request")
        ping = ping_path(str(obj.ping_uuid)) if obj.health_kind == HealthKind.HEARTBEAT else None
        if ping and request is not None and can_edit(request.user, obj):
            observed["ping_url"] = request.build_absolute_uri(ping)
        return observed

    def _health_facts(self, obj: Integration) -> HealthFacts | None:
        context: dict[str, Any] = self.context  # type: ignore[assignment]  # a dict, typed read-only
        found: dict[int, HealthFacts | None] = context.setdefault("health_facts", {})
        if obj.pk not in found:
            listed = self.parent.instance if isinstance(self.parent, serializers.ListSerializer) else None
            ids = [item.pk for item in listed] if listed is not None else [obj.pk]
            found.update(dict.fromkeys(ids))
            found.update(read_health(ids))
        return found.get(obj.pk)


class GoLiveSerializer(SpecSerializer):
    """A go-live's spec document: its date, approver and the integrations in scope."""

    kind = GOLIVE
    view_name = "api:golive-detail"
    select = ("approver",)
    prefetch = (Prefetch("scope", queryset=GoLiveIntegration.objects.select_related("integration")),)

    def document(self, obj: GoLive) -> dict[str, Any]:
        scope = [row.integration.key for row in obj.scope.all()]
        return documents.to_document(obj, self.kind, instance_keys(obj, self.kind), integration_keys=scope)


# --- change history --------------------------------------------------------------------


class FieldChangeSerializer(serializers.Serializer):
    """One changed field; null stands for absent."""

    field = serializers.CharField(help_text="Dotted path: sync.interval_minutes, mappings[0].target.")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class ChangeRecordSerializer(serializers.ModelSerializer):
    """One change of a spec document: who, when, through what, and the changed fields."""

    actor = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRecord
        fields = ["at", "actor", "via", "action", "kind", "key", "note", "changes", "before", "after"]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_actor(self, record: ChangeRecord) -> str | None:
        return record.actor.get_username() if record.actor else None

    @extend_schema_field(FieldChangeSerializer(many=True))
    def get_changes(self, record: ChangeRecord) -> list[FieldChange]:
        return changed_fields(record.before, record.after)
