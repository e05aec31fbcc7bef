"""The vocabulary of the written estate: the enum values of the plumbline/v1 spec format
(spec-format.md, fixed by contract) and the health states every page, rule and monitor speaks.

Each concept is listed once here; monitoring, rules, graph and readiness import these enums and
never compare bare strings. A new platform is one line in `Platform`: connector.platform,
health.kind and PlatformAccount.platform all take it from there."""

from __future__ import annotations

from django.db import models


class Category(models.TextChoices):
    ERP = "erp", "ERP"
    CRM = "crm", "CRM"
    PAYROLL = "payroll", "Payroll"
    BILLING = "billing", "Billing"
    ECOMMERCE = "ecommerce", "Ecommerce"
    BANKING = "banking", "Banking"
    HR = "hr", "HR"
    PROCUREMENT = "procurement", "Procurement"
    DATA_WAREHOUSE = "data-warehouse", "Data warehouse"
    IPAAS = "ipaas", "iPaaS"
    OTHER = "other", "Other"


class Direction(models.TextChoices):
    ONE_WAY = "one-way", "One-way"
    BIDIRECTIONAL = "bidirectional", "Bidirectional"


class Lifecycle(models.TextChoices):
    PLANNED = "planned", "Planned"
    BUILDING = "building", "Building"
    LIVE = "live", "Live"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class Phase(models.TextChoices):
    GO_LIVE = "go-live", "Go-live"
    PHASE_TWO = "phase-two", "Phase two"


class ConnectorType(models.TextChoices):
    NATIVE = "native", "Native connector"
    IPAAS = "ipaas", "iPaaS"
    CUSTOM_API = "custom-api", "Custom API"
    FILE_TRANSFER = "file-transfer", "File transfer"
    MANUAL = "manual", "Manual"


class Platform(models.TextChoices):
    """The iPaaS platforms Plumbline reads runs from and discovers processes on."""

    BOOMI = "boomi", "Boomi"
    MULESOFT = "mulesoft", "MuleSoft"
    WORKATO = "workato", "Workato"
    CELIGO = "celigo", "Celigo"
    SAP_INTEGRATION_SUITE = "sap-integration-suite", "SAP Integration Suite"
    AZURE_LOGIC_APPS = "azure-logic-apps", "Azure Logic Apps"
    INFORMATICA = "informatica", "Informatica IDMC"


# connector.platform: one of the platforms, or another iPaaS Plumbline does not read.
OTHER_PLATFORM = "other"
CONNECTOR_PLATFORM_CHOICES = [*Platform.choices, (OTHER_PLATFORM, "Other")]
CONNECTOR_PLATFORMS = tuple(value for value, _ in CONNECTOR_PLATFORM_CHOICES)


class MaintainedBy(models.TextChoices):
    SOURCE_VENDOR = "source-vendor", "Source vendor"
    TARGET_VENDOR = "target-vendor", "Target vendor"
    IPAAS_VENDOR = "ipaas-vendor", "iPaaS vendor"
    INTERNAL = "internal", "Internal team"
    PARTNER = "partner", "Implementation partner"


class Trigger(models.TextChoices):
    EVENT = "event", "Event"
    POLLING = "polling", "Polling"
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"


class ErrorSurface(models.TextChoices):
    ALERT = "alert", "Alert"
    MONITORED_CHANNEL = "monitored-channel", "Monitored channel"
    LOG_FILE = "log-file", "Log file"
    NONE = "none", "None"


class Resync(models.TextChoices):
    REPLAY_IN_ORDER = "replay-in-order", "Replay in order"
    CURRENT_STATE = "current-state", "Current state only"
    MANUAL = "manual", "Manual"
    NONE = "none", "None"


class HealthKind(models.TextChoices):
    """How health is observed when not read from a platform (health.kind is one of these or a Platform)."""

    NONE = "none", "None"
    HEARTBEAT = "heartbeat", "Heartbeat"
    HTTP = "http", "HTTP status"
    JSON = "json", "JSON run history"


# health.kind: none, heartbeat, http, or the platform whose run history is read.
HEALTH_KIND_CHOICES = [*HealthKind.choices, *Platform.choices]
HEALTH_KINDS = tuple(value for value, _ in HEALTH_KIND_CHOICES)
PLATFORM_HEALTH_KINDS = frozenset(Platform.values)
# Kinds Plumbline pulls from (a heartbeat is pushed to it).
PULLED_HEALTH_KINDS = frozenset({HealthKind.HTTP.value, HealthKind.JSON.value, *PLATFORM_HEALTH_KINDS})
# PlatformAccount.platform: a platform, or json for any run-history API a health.kind json block reads.
ACCOUNT_PLATFORM_CHOICES = [*Platform.choices, (HealthKind.JSON.value, "JSON run-history API")]
ACCOUNT_PLATFORMS = tuple(value for value, _ in ACCOUNT_PLATFORM_CHOICES)


def health_kind_label(kind: str) -> str:
    """The label of a health.kind value ("HTTP status", "Boomi"); the value itself when unknown."""
    return dict(HEALTH_KIND_CHOICES).get(kind, kind)


class HealthState(models.TextChoices):
    """Observed health of an integration (DESIGN.md "Health"); monitoring stores it, catalog reads it."""

    UNKNOWN = "unknown", "Unknown"
    UP = "up", "Up"
    LATE = "late", "Late"
    DOWN = "down", "Down"
    FAILING = "failing", "Failing"
    PAUSED = "paused", "Paused"


# Connector types whose maintenance must name a maintainer and an SLA.
MAINTAINED_CONNECTOR_TYPES = frozenset({ConnectorType.NATIVE, ConnectorType.IPAAS, ConnectorType.CUSTOM_API})

# Data objects whose order matters: their sequence_sensitive defaults to true.
SEQUENCE_SENSITIVE_OBJECTS = frozenset(
    {
        "payment",
        "payment-application",
        "invoice",
        "invoice-status",
        "credit-memo",
        "journal-entry",
        "bank-transaction",
        "payroll-run",
    }
)

# The mapping transform that translates values through a value map (mapping `value_map:`).
LOOKUP = "lookup"
