"""How the graph looks: the palette and what each system category and health state is drawn as.

The health and alert colours are the ones static/css/plumbline.css uses for the same states;
GREY (nothing flows) and FADED (outside a blast radius) are pale on purpose.
"""

from __future__ import annotations

from catalog.choices import Category, ConnectorType, HealthState, Lifecycle, Platform
from catalog.graph.model import UNMONITORED

FONT = "Helvetica"
INK = "#1c2430"
MUTED = "#4f5b6b"
FADED = "#c4cad3"
ACCENT = "#0b5cad"
BAD = "#b42318"
WARN = "#9a6700"
GREY = "#a8b0bc"  # planned and retired integrations: drawn, but nothing flows

HEALTH_COLOURS: dict[str, str] = {
    HealthState.UP: "#1a7f37",
    HealthState.LATE: WARN,
    HealthState.DOWN: BAD,
    HealthState.FAILING: "#c4320a",
    HealthState.PAUSED: "#6941c6",
    HealthState.UNKNOWN: "#5b7083",
    UNMONITORED: INK,
}
HEALTH_LABELS: dict[str, str] = {
    **{state.value: f"health {state.value}" for state in HealthState},
    HealthState.UNKNOWN: "health unknown (no data yet)",
    UNMONITORED: "not monitored",
}
NOT_FLOWING = frozenset({Lifecycle.PLANNED, Lifecycle.RETIRED})

# (fill colour, shape) by system category; the ERP is also drawn heavier (see build._system_attrs).
CATEGORY_STYLES: dict[str, tuple[str, str]] = {
    "erp": ("#dbe9f7", "box"),
    "crm": ("#e3f4e8", "box"),
    "billing": ("#fff2cc", "box"),
    "payroll": ("#fde4ec", "box"),
    "hr": ("#efe5fb", "box"),
    "ecommerce": ("#dcf3f1", "box"),
    "banking": ("#fde9d4", "box"),
    "procurement": ("#e9edf1", "box"),
    "data-warehouse": ("#e4e7f7", "cylinder"),
    "ipaas": ("#f1f3f4", "hexagon"),
    "other": ("#ffffff", "box"),
}

CATEGORY_LABELS = dict(Category.choices)
CONNECTOR_LABELS = dict(ConnectorType.choices)
PLATFORM_LABELS = dict(Platform.choices)

# Blast radius fills: the system that is down, and the systems left without data.
ORIGIN_FILL = "#fde2e1"
AFFECTED_FILL = "#fff1d6"
# The master (system of record) of the data object a view is filtered to.
MASTER = "#1a7f37"
MASTER_FILL = "#e3f4e8"
