"""A user's role (Profile) and their API tokens (stored only as an HMAC digest)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from plumbline.accounts.roles import ROLES


class Profile(models.Model):
    """The role of a Django user; users are keyed by email (username == email)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=10, choices=[(role, role) for role in ROLES], default="viewer")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class Token(models.Model):
    """An API token. The raw value is shown once at creation; only its digest is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(max_length=16, help_text="The start of the token, to recognise it; not secret.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False, help_text="Read-only tokens may only use GET, HEAD and OPTIONS.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.get_username()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
