from __future__ import annotations

from django.db import models


class Person(models.Model):
    """Someone who owns, backs up, approves or performs work; keyed by email."""

    email = models.EmailField(unique=True, max_length=254)
    name = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=200, blank=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    active = models.BooleanField(default=True, help_text="False once they have left the company.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def key(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email
