from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ChangeRecord(models.Model):
    """Who changed which spec document, when, through what, with before/after documents."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"

    class Via(models.TextChoices):
        IMPORT = "import"
        API = "api"
        PAGE = "page"
        ADMIN = "admin"
        SYSTEM = "system"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    via = models.CharField(max_length=10, choices=Via.choices)
    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=254)
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "key", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.key}"
