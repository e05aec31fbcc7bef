"""Django admin for every catalog model. Edits go through the spec rules (schema.validate)
and are recorded in the change history, exactly like imports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from catalog import protection
from catalog.forms import SpecForm
from catalog.models import (
    Attestation,
    Calendar,
    ChangeRecord,
    DataObject,
    GoLive,
    GoLiveIntegration,
    Integration,
    Mapping,
    Person,
    PlatformAccount,
    Reminder,
    ReviewSignOff,
    ReviewSnooze,
    SignOff,
    StoredFinding,
    System,
    SystemVersion,
    ValueMap,
    Waiver,
)
from catalog.spec import edits


class SpecAdmin(admin.ModelAdmin):
    form = SpecForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self._before = edits.document_of(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After inlines (mappings, scope) are saved, so the recorded document is whole.
        edits.record_change(form.instance, self._before, actor=request.user, via=ChangeRecord.Via.ADMIN)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # What names a value map or calendar by key (catalog/protection.py) protects it, as a foreign key would.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        named = [f"{document._meta.verbose_name}: {document}" for obj in objs for document in protection.naming(obj)]
        return deleted, counts, perms_needed, [*protected, *named]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = edits.document_of(obj)
        super().delete_model(request, obj)
        edits.record_deletion(obj, before, actor=request.user, via=ChangeRecord.Via.ADMIN)


@admin.register(Person)
class PersonAdmin(SpecAdmin):
    list_display = ["email", "name", "team", "manager", "active"]
    list_filter = ["active", "team"]
    search_fields = ["email", "name", "team"]
    list_select_related = ["manager"]
    autocomplete_fields = ["manager"]


class SystemVersionInline(admin.TabularInline):
    model = SystemVersion
    extra = 0
    readonly_fields = ["previous_version", "version", "major_change", "recorded_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(System)
class SystemAdmin(SpecAdmin):
    list_display = ["key", "name", "category", "vendor", "version", "owner"]
    list_filter = ["category"]
    search_fields = ["key", "name", "vendor"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["major_version_changed_at"]
    inlines = [SystemVersionInline]


@admin.register(Calendar)
class CalendarAdmin(SpecAdmin):
    list_display = ["key", "name", "timezone"]
    search_fields = ["key", "name"]


@admin.register(DataObject)
class DataObjectAdmin(SpecAdmin):
    list_display = ["key", "name", "master", "owner", "sequence_sensitive"]
    list_filter = ["sequence_sensitive"]
    search_fields = ["key", "name"]
    list_select_related = ["master", "owner"]
    autocomplete_fields = ["master", "owner"]


@admin.register(PlatformAccount)
class PlatformAccountAdmin(SpecAdmin):
    list_display = ["key", "platform", "base_url", "secret_env"]
    list_filter = ["platform"]
    search_fields = ["key"]


@admin.register(ValueMap)
class ValueMapAdmin(SpecAdmin):
    list_display = ["key", "name", "owner", "reviewed_at", "row_count"]
    search_fields = ["key", "name"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]


class MappingInline(admin.TabularInline):
    model = Mapping
    extra = 1
    fields = ["position", "source", "target", "required", "transform", "value_map", "note"]


@admin.register(Integration)
class IntegrationAdmin(SpecAdmin):
    list_display = ["key", "name", "source", "target", "lifecycle", "phase", "connector_type", "completeness_score"]
    list_filter = ["lifecycle", "phase", "connector_type", "connector_platform", "health_kind"]
    search_fields = ["key", "name", "description"]
    list_select_related = ["source", "target"]
    autocomplete_fields = ["source", "target", "owner", "backup_owner", "workaround_performed_by"]
    readonly_fields = ["ping_uuid", "completeness_score", "completeness_missing"]
    inlines = [MappingInline]
    formfield_overrides = {models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2})}}


class ScopeInline(admin.TabularInline):
    model = GoLiveIntegration
    extra = 1
    autocomplete_fields = ["integration"]


@admin.register(GoLive)
class GoLiveAdmin(SpecAdmin):
    list_display = ["key", "name", "date", "approver"]
    search_fields = ["key", "name"]
    autocomplete_fields = ["approver"]
    inlines = [ScopeInline]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """The change history is evidence: read-only, even for superusers."""

    list_display = ["at", "kind", "key", "action", "via", "actor"]
    list_filter = ["kind", "action", "via"]
    search_fields = ["key"]
    list_select_related = ["actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceAdmin(admin.ModelAdmin):
    """Records that are evidence (findings as evaluated, reminders sent, sign-offs): read-only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StoredFinding)
class StoredFindingAdmin(EvidenceAdmin):
    list_display = ["code", "severity", "subject_type", "subject_key", "owner", "first_seen_at"]
    list_filter = ["severity", "code", "subject_type"]
    search_fields = ["subject_key", "message"]
    list_select_related = ["owner"]


@admin.register(Reminder)
class ReminderAdmin(EvidenceAdmin):
    list_display = ["person", "period_start", "sent_at", "cc", "stale_count", "finding_count", "answered_at"]
    list_select_related = ["person"]


@admin.register(SignOff)
class SignOffAdmin(EvidenceAdmin):
    list_display = ["golive", "signed_by_email", "signed_at", "readiness_percent", "override_reason"]
    list_select_related = ["golive"]


@admin.register(ReviewSignOff)
class ReviewSignOffAdmin(EvidenceAdmin):
    list_display = ["golive", "signed_by_email", "signed_at", "notes"]
    list_select_related = ["golive"]


@admin.register(Attestation)
class AttestationAdmin(EvidenceAdmin):
    list_display = ["golive", "integration", "item", "performed_by", "performed_on", "recorded_by_email"]
    list_select_related = ["golive", "integration"]


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ["code", "subject_type", "subject_key", "expires_on", "created_by", "reason"]
    list_filter = ["code"]
    search_fields = ["subject_key", "reason"]
    list_select_related = ["created_by"]


@admin.register(ReviewSnooze)
class ReviewSnoozeAdmin(admin.ModelAdmin):
    list_display = ["integration", "until", "reason"]
    list_select_related = ["integration"]
