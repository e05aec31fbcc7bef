from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class FindingCode(models.TextChoices):
    """The stable finding codes of DESIGN.md; never renamed (CI gates and waivers name them)."""

    SPEC_INCOMPLETE = "SPEC_INCOMPLETE", "Spec incomplete"
    UNDOCUMENTED_CONNECTION = "UNDOCUMENTED_CONNECTION", "Undocumented connection"
    DEFERRED_PHASE_TWO = "DEFERRED_PHASE_TWO", "Deferred to phase two"
    WORKAROUND_EXCEEDS_BUILD = "WORKAROUND_EXCEEDS_BUILD", "Workaround exceeds build"
    SINGLE_PERSON_DEPENDENCY = "SINGLE_PERSON_DEPENDENCY", "Single-person dependency"
    REALTIME_CLAIM_MISMATCH = "REALTIME_CLAIM_MISMATCH", "Real-time claim mismatch"
    SYNC_SLOWER_THAN_DECLARED = "SYNC_SLOWER_THAN_DECLARED", "Sync slower than declared"
    SILENT_FAILURES = "SILENT_FAILURES", "Silent failures"
    RESYNC_LOSES_SEQUENCE = "RESYNC_LOSES_SEQUENCE", "Re-sync loses sequence"
    CONNECTOR_MAINTENANCE_UNOWNED = "CONNECTOR_MAINTENANCE_UNOWNED", "Connector maintenance unowned"
    API_RETIREMENT_DUE = "API_RETIREMENT_DUE", "API retirement due"
    STALE_SPEC = "STALE_SPEC", "Stale spec"
    OWNER_INACTIVE = "OWNER_INACTIVE", "Owner inactive"
    UNMONITORED = "UNMONITORED", "Unmonitored"
    HEALTH_DOWN = "HEALTH_DOWN", "Health down"
    HEALTH_FAILING = "HEALTH_FAILING", "Health failing"
    FAILED_RECORDS_OPEN = "FAILED_RECORDS_OPEN", "Failed records open"
    POINT_TO_POINT_SPRAWL = "POINT_TO_POINT_SPRAWL", "Point-to-point sprawl"
    RECORDS_DROPPED = "RECORDS_DROPPED", "Records dropped"
    RECONCILIATION_GAP = "RECONCILIATION_GAP", "Reconciliation gap"
    GOLIVE_REVIEW_DUE = "GOLIVE_REVIEW_DUE", "Go-live review due"
    NO_MASTER = "NO_MASTER", "No master"
    CONFLICTING_WRITERS = "CONFLICTING_WRITERS", "Conflicting writers"
    WORKAROUND_MISSED = "WORKAROUND_MISSED", "Workaround missed"


# What each code means in plain words, for people who do not read codes: shown first on every
# page, with the code beside it in small type. Defined once, here; a test checks every code has one.
FINDING_TITLES: dict[str, str] = {
    FindingCode.SPEC_INCOMPLETE: "The written spec is missing parts",
    FindingCode.UNDOCUMENTED_CONNECTION: "A connection runs with no spec",
    FindingCode.DEFERRED_PHASE_TWO: "Work put off to phase two is still waiting",
    FindingCode.WORKAROUND_EXCEEDS_BUILD: "The manual workaround has cost more than building it",
    FindingCode.SINGLE_PERSON_DEPENDENCY: "Only one person can keep it running",
    FindingCode.REALTIME_CLAIM_MISMATCH: "Sold as real-time, but it is not",
    FindingCode.SYNC_SLOWER_THAN_DECLARED: "Syncs run slower than promised",
    FindingCode.SILENT_FAILURES: "Errors go only to a log file, or nowhere",
    FindingCode.RESYNC_LOSES_SEQUENCE: "A re-sync would put records out of order",
    FindingCode.CONNECTOR_MAINTENANCE_UNOWNED: "Nobody is committed to fixing the connector",
    FindingCode.API_RETIREMENT_DUE: "The vendor is retiring the API it uses",
    FindingCode.STALE_SPEC: "The spec may be out of date",
    FindingCode.OWNER_INACTIVE: "No active owner",
    FindingCode.UNMONITORED: "Nobody would notice if it stopped",
    FindingCode.HEALTH_DOWN: "It has stopped running",
    FindingCode.HEALTH_FAILING: "Its runs are failing",
    FindingCode.FAILED_RECORDS_OPEN: "Failed records are waiting to be fixed",
    FindingCode.POINT_TO_POINT_SPRAWL: "Too many one-off connections",
    FindingCode.RECORDS_DROPPED: "The last run lost records on the way",
    FindingCode.RECONCILIATION_GAP: "Source and target counts do not agree",
    FindingCode.GOLIVE_REVIEW_DUE: "The post-go-live review is due and not signed",
    FindingCode.NO_MASTER: "Several systems hold it and none is its master",
    FindingCode.CONFLICTING_WRITERS: "Two sources write it into the same system",
    FindingCode.WORKAROUND_MISSED: "A due run of the manual workaround was not confirmed",
}


def finding_title(code: str) -> str:
    """The plain-words title of a code; the code itself for one this version does not know."""
    return FINDING_TITLES.get(code, code)


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}


class SubjectType(models.TextChoices):
    INTEGRATION = "integration", "Integration"
    SYSTEM = "system", "System"
    PERSON = "person", "Person"
    CONNECTION = "connection", "Connection"
    ESTATE = "estate", "Estate"
    GOLIVE = "golive", "Go-live"
    DATA_OBJECT = "data_object", "Data object"


class StoredFinding(models.Model):
    """A finding as of the last refresh, so lists filter by code, severity and owner without
    re-evaluating the estate. first_seen_at survives refreshes; a resolved finding is deleted."""

    code = models.CharField(max_length=40, choices=FindingCode.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    subject_type = models.CharField(max_length=20, choices=SubjectType.choices)
    # The estate is the one subject without a key; stored as "" so the unique constraint holds
    # on every database (NULLs are distinct in unique constraints).
    subject_key = models.CharField(max_length=300, blank=True)
    message = models.TextField()
    remedy = models.TextField()
    owner = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "subject_type", "subject_key"]
        constraints = [
            models.UniqueConstraint(fields=["code", "subject_type", "subject_key"], name="finding_once_per_subject")
        ]
        indexes = [models.Index(fields=["severity"]), models.Index(fields=["subject_key"])]

    def __str__(self) -> str:
        return f"{self.code} {self.subject}"

    @property
    def subject(self) -> str:
        return f"{self.subject_type} {self.subject_key}" if self.subject_key else self.subject_type


class Waiver(models.Model):
    """An accepted finding: while active, a finding with the same code and subject is shown as
    waived and not counted. It counts again from `expires_on` (the first day it is not waived)."""

    code = models.CharField(max_length=40, choices=FindingCode.choices)
    subject_type = models.CharField(max_length=20, choices=SubjectType.choices)
    subject_key = models.CharField(max_length=300, blank=True, help_text="Empty for the estate.")
    reason = models.TextField()
    expires_on = models.DateField(help_text="The finding counts again from this day.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="waivers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["code", "subject_type", "subject_key", "expires_on"])]

    def __str__(self) -> str:
        return f"waiver {self.code} {self.subject_type} {self.subject_key}".rstrip()

    def is_active(self, today: dt.date) -> bool:
        return today < self.expires_on
