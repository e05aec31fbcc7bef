from __future__ import annotations

import datetime as dt

from django.db import models

from catalog.choices import ACCOUNT_PLATFORM_CHOICES, Category


def major_part(version: str) -> str:
    """The major part of a version string: "2026.2" -> "2026", "v59.0" -> "v59"."""
    return version.strip().split(".", 1)[0]


class System(models.Model):
    """An application the ERP exchanges data with (or the ERP itself)."""

    key = models.SlugField(unique=True, max_length=100, allow_unicode=False)
    name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    vendor = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=50, blank=True)
    owner = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="systems"
    )
    # Close freezes of every integration touching it (as Integration.freeze).
    freeze = models.JSONField(default=list, blank=True)
    # When the major part of `version` last changed: specs reviewed before it are stale.
    major_version_changed_at = models.DateTimeField(null=True, blank=True)
    # The spec's recurring maintenance windows (catalog/spec/maintenance.py); windows planned in the app
    # are monitoring's MaintenanceWindow rows.
    maintenance = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.key


def version_change(system: System, previous: str, at: dt.datetime) -> SystemVersion | None:
    """The history row for a change of `system.version` from `previous` (None if unchanged);
    a change of the major part also dates `major_version_changed_at`. Nothing is saved."""
    if previous == system.version:
        return None
    major = bool(previous) and major_part(previous) != major_part(system.version)
    if major:
        system.major_version_changed_at = at
    return SystemVersion(
        system=system, version=system.version, previous_version=previous, major_change=major, recorded_at=at
    )


class SystemVersion(models.Model):
    """One entry in a system's version history, appended whenever `version` changes."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=50, blank=True)
    previous_version = models.CharField(max_length=50, blank=True)
    major_change = models.BooleanField(default=False)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["system", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["system", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.system.key} {self.previous_version or '∅'} → {self.version}"


class PlatformAccount(models.Model):
    """An iPaaS tenant. Its credential is the *name* of an env var, never the value."""

    key = models.SlugField(unique=True, max_length=100)
    platform = models.CharField(max_length=40, choices=ACCOUNT_PLATFORM_CHOICES)
    base_url = models.URLField(max_length=500)
    account_id = models.CharField(max_length=200, blank=True)
    secret_env = models.CharField(
        max_length=100, blank=True, help_text="Environment variable that holds the credential."
    )
    # OAuth2 client credentials: the token endpoint (secret_env then holds "client_id:client_secret")
    # and the scope asked for (empty: the platform's default).
    token_url = models.URLField(max_length=500, blank=True)
    scope = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
