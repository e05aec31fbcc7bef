from __future__ import annotations

from django.db import models


class GoLive(models.Model):
    """A go-live event and the integrations that must be ready for it."""

    key = models.SlugField(unique=True, max_length=100)
    name = models.CharField(max_length=200, blank=True)
    date = models.DateField(null=True, blank=True)
    approver = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="golives"
    )
    integrations = models.ManyToManyField("catalog.Integration", through="GoLiveIntegration", related_name="golives")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "key"]
        verbose_name = "go-live"

    def __str__(self) -> str:
        return self.name or self.key


class GoLiveIntegration(models.Model):
    """An integration in a go-live's scope, in the order the spec lists it."""

    golive = models.ForeignKey(GoLive, on_delete=models.CASCADE, related_name="scope")
    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="golive_scope")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["golive", "position"]
        constraints = [models.UniqueConstraint(fields=["golive", "integration"], name="golive_integration_once")]

    def __str__(self) -> str:
        return f"{self.golive_id}:{self.integration_id}"
