"""Governance rules: the estate in, findings out (DESIGN.md, "Findings (stable codes)").

One pure function per code, grouped by concept: spec.py (SPEC_INCOMPLETE, STALE_SPEC),
ownership.py (OWNER_INACTIVE, SINGLE_PERSON_DEPENDENCY), phase_two.py (DEFERRED_PHASE_TWO,
WORKAROUND_EXCEEDS_BUILD), sync.py (REALTIME_CLAIM_MISMATCH, SYNC_SLOWER_THAN_DECLARED),
failures.py (SILENT_FAILURES, RESYNC_LOSES_SEQUENCE), maintenance.py
(CONNECTOR_MAINTENANCE_UNOWNED, API_RETIREMENT_DUE), observed.py (UNMONITORED, HEALTH_DOWN,
HEALTH_FAILING, FAILED_RECORDS_OPEN), reconciliation.py (RECORDS_DROPPED, RECONCILIATION_GAP),
workarounds.py (WORKAROUND_MISSED), estate.py (UNDOCUMENTED_CONNECTION, POINT_TO_POINT_SPRAWL),
golive.py (GOLIVE_REVIEW_DUE), data_objects.py (NO_MASTER, CONFLICTING_WRITERS, one finding per data
object, subject_type data_object).
engine.py runs them all; store.py keeps the results and applies waivers.

Severities (where DESIGN.md is silent, chosen here):
  SPEC_INCOMPLETE                warning; the mappings part is missing while a mapping has
                                 transform: lookup and no value_map (the message names each row)
  UNDOCUMENTED_CONNECTION        warning
  DEFERRED_PHASE_TWO             info up to 90 days since deferred_since, warning from 91 (or
                                 when deferred_since is missing), critical from 181 or once
                                 target_date has passed
  WORKAROUND_EXCEEDS_BUILD       warning
  SINGLE_PERSON_DEPENDENCY       warning
  REALTIME_CLAIM_MISMATCH        warning
  SYNC_SLOWER_THAN_DECLARED      warning
  SILENT_FAILURES                warning for log-file, critical for none (no trace at all)
  RESYNC_LOSES_SEQUENCE          warning
  CONNECTOR_MAINTENANCE_UNOWNED  warning
  API_RETIREMENT_DUE             warning within 90 days, critical on or after the date
  STALE_SPEC                     warning; also (one finding per integration, naming every reason)
                                 when a value map its mappings name was never reviewed or was last
                                 reviewed more than PLUMBLINE_REVIEW_DAYS days ago (day 180 is
                                 fresh, day 181 stale, as the spec's own reviewed_at)
  OWNER_INACTIVE                 critical for a live integration, warning otherwise and for systems
  UNMONITORED                    warning
  HEALTH_DOWN, HEALTH_FAILING    critical
  FAILED_RECORDS_OPEN            warning; critical for sequence-sensitive data (audit-trail gaps)
  POINT_TO_POINT_SPRAWL          warning
  RECORDS_DROPPED                the latest finished run's records_out + records_failed fall short of
                                 records_in beyond the spec's reconciliation tolerance; warning,
                                 critical for sequence-sensitive data (as FAILED_RECORDS_OPEN)
  RECONCILIATION_GAP             the latest finished run's status document reports a target_count
                                 differing from its source_count beyond that tolerance; severity as
                                 RECORDS_DROPPED
  GOLIVE_REVIEW_DUE              a signed-off go-live (subject_type golive, key the go-live's key) whose
                                 review is not signed since its latest sign-off, from its date +
                                 PLUMBLINE_GOLIVE_REVIEW_DAYS (default 90: raised on day 90, not day
                                 89); warning, critical from 30 days past that due day
  NO_MASTER                      warning: a data object written into two or more systems (the targets
                                 of one-way integrations, both ends of bidirectional ones; retired
                                 integrations write nothing) with no DataObject document naming its
                                 master. One system written into, or a master declared: nothing.
  CONFLICTING_WRITERS            two integrations write the same data object into the same system
                                 from different source systems (one source through two integrations
                                 is no conflict); warning, critical when the object is sequence-
                                 sensitive (its DataObject document, else the built-in list) or the
                                 system written into is its declared master
  WORKAROUND_MISSED              phase-two integrations with workaround.every: warning when the last
                                 run due before today (its due day in sync.timezone) is unconfirmed,
                                 critical when the run before it was missed too (two in a row); a run
                                 due today is not missed yet; runs before deferred_since not counted

Lifecycles (engine.RULES): retired integrations raise nothing. Deprecated ones still run, so
they raise only OWNER_INACTIVE, API_RETIREMENT_DUE and the observed rules
(SYNC_SLOWER_THAN_DECLARED, HEALTH_DOWN, HEALTH_FAILING, FAILED_RECORDS_OPEN, RECORDS_DROPPED,
RECONCILIATION_GAP). The observed
rules skip planned and building integrations (test runs are not production health);
UNMONITORED and the owner-without-backup case of SINGLE_PERSON_DEPENDENCY are for live ones.
A running process or heartbeat whose only spec is retired counts as UNDOCUMENTED_CONNECTION.

Time: "today" is the local date of the evaluation; a month is 365.25/12 days, so workaround
hours to date grow day by day (hours_per_month x days / 30.44).
"""

from __future__ import annotations

from catalog.rules.engine import Estate, evaluate, evaluate_estate, evaluate_integration, load_estate
from catalog.rules.finding import Facts, Finding, sort_findings

__all__ = [
    "Estate",
    "Facts",
    "Finding",
    "evaluate",
    "evaluate_estate",
    "evaluate_integration",
    "load_estate",
    "sort_findings",
]
