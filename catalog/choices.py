"""The enum values of the plumbline/v1 spec format (spec-format.md); fixed by contract."""

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
    BOOMI = "boomi", "Boomi"
    MULESOFT = "mulesoft", "MuleSoft"
    WORKATO = "workato", "Workato"
    CELIGO = "celigo", "Celigo"
    OTHER = "other", "Other"


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
    NONE = "none", "None"
    HEARTBEAT = "heartbeat", "Heartbeat"
    HTTP = "http", "HTTP status"
    BOOMI = "boomi", "Boomi"
    MULESOFT = "mulesoft", "MuleSoft"
    WORKATO = "workato", "Workato"
    CELIGO = "celigo", "Celigo"


class AccountPlatform(models.TextChoices):
    BOOMI = "boomi", "Boomi"
    MULESOFT = "mulesoft", "MuleSoft"
    WORKATO = "workato", "Workato"
    CELIGO = "celigo", "Celigo"


PLATFORM_HEALTH_KINDS = frozenset(AccountPlatform.values)

# Connector types whose maintenance must name a maintainer and an SLA.
MAINTAINED_CONNECTOR_TYPES = frozenset({"native", "ipaas", "custom-api"})

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
