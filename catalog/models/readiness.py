"""Go-live readiness: what people attest for an integration in scope, and the approver's sign-off.
Every attestation and sign-off is a new row, so the rows are the history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AttestedItem(models.TextChoices):
    """Checklist items no data can prove: someone did them and says where the evidence is."""

    FAILURE_SIMULATION = "failure-simulation", "Failure simulation done"
    RESYNC_REHEARSAL = "resync-rehearsal", "Re-sync after an outage rehearsed"


class Attestation(models.Model):
    """Who did an attested item for an integration in a go-live, when, and the evidence."""

    golive = models.ForeignKey("catalog.GoLive", on_delete=models.CASCADE, related_name="attestations")
    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="attestations")
    item = models.CharField(max_length=30, choices=AttestedItem.choices)
    performed_by = models.CharField(max_length=200, help_text="Who did it.")
    performed_on = models.DateField(help_text="When it was done.")
    evidence_url = models.URLField(max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the record still says who after the user is deleted.
    recorded_by_email = models.CharField(max_length=254)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["golive", "integration", "item"])]

    def __str__(self) -> str:
        return f"{self.item} {self.integration_id} ({self.golive_id})"


class SignOff(models.Model):
    """The approver's (or an admin's) sign-off, with the readiness and blockers it was given on."""

    golive = models.ForeignKey("catalog.GoLive", on_delete=models.CASCADE, related_name="signoffs")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_by_email = models.CharField(max_length=254)
    signed_at = models.DateTimeField()
    readiness_percent = models.PositiveSmallIntegerField()
    blockers = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True, help_text="Required to sign off while anything blocks.")

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"sign-off {self.golive_id} by {self.signed_by_email}"


class ReviewSignOff(models.Model):
    """The approver's (or an admin's) post-go-live review: signed N days after a signed-off go-live,
    with the figures the review showed when it was signed. Rows are the history, as for SignOff."""

    golive = models.ForeignKey("catalog.GoLive", on_delete=models.CASCADE, related_name="review_signoffs")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_by_email = models.CharField(max_length=254)
    signed_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    # What the review listed when signed: deferred, workarounds, failures, spec_changes (counts).
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"review {self.golive_id} by {self.signed_by_email}"
