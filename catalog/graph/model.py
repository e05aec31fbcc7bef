"""Plain values of the estate as the graph draws it; built by `load`, read by `view`, `blast`, `build`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalog.choices import Category, Lifecycle, Platform
from catalog.health import UNMONITORED

# Lifecycles in which an integration actually moves data (and so can spread an outage).
RUNNING_LIFECYCLES = frozenset({Lifecycle.LIVE, Lifecycle.DEPRECATED})


@dataclass(frozen=True)
class SystemNode:
    id: int
    key: str
    name: str
    category: str
    owner: str = ""  # "Ana Lopez <ana.lopez@example.com>", or "" when nobody owns it
    owner_email: str = ""
    vendor: str = ""
    version: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.key

    @property
    def hub_platform(self) -> str:
        """The iPaaS platform this system is, if it is one ("boomi" for boomi-atomsphere), else ""."""
        if self.category != Category.IPAAS:
            return ""
        words = set(self.key.split("-")) | set(re.split(r"\W+", self.name.lower()))
        return next((p for p in Platform.values if p in words), "")


@dataclass(frozen=True)
class IntegrationEdge:
    id: int
    key: str
    name: str
    source_id: int | None
    target_id: int | None
    bidirectional: bool = False
    data_objects: tuple[str, ...] = ()
    lifecycle: str = "live"
    phase: str = "go-live"
    connector_type: str = ""
    platform: str = ""
    owner: str = ""
    owner_email: str = ""
    health: str = UNMONITORED  # one of catalog.health.HEALTH_STATES, or UNMONITORED
    spec_gaps: tuple[str, ...] = ()  # the missing parts of the written spec
    golives: tuple[str, ...] = ()  # keys of the go-lives whose scope includes it

    @property
    def display_name(self) -> str:
        return self.name or self.key

    @property
    def drawable(self) -> bool:
        """An integration is an edge only when its spec names both ends."""
        return self.source_id is not None and self.target_id is not None

    @property
    def running(self) -> bool:
        return self.lifecycle in RUNNING_LIFECYCLES

    @property
    def via_hub(self) -> bool:
        """Runs on a named iPaaS platform ("other" names none, so it is not drawn as one hub)."""
        return self.connector_type == "ipaas" and self.platform not in ("", "other")


@dataclass(frozen=True)
class ObservedEdge:
    """A connection monitoring saw running that no spec describes."""

    source: str  # a platform account key, or catalog.health.HEARTBEAT_SOURCE
    ref: str
    name: str
    platform: str = ""  # the account's platform, "" for heartbeats and unknown accounts


@dataclass
class Estate:
    systems: dict[int, SystemNode] = field(default_factory=dict)
    integrations: list[IntegrationEdge] = field(default_factory=list)
    observed: list[ObservedEdge] = field(default_factory=list)
    masters: dict[str, int] = field(default_factory=dict)  # data object key -> its master system's id

    def system_by_key(self, key: str) -> SystemNode | None:
        return next((s for s in self.systems.values() if s.key == key), None)

    def system_by_id(self, system_id: int | None) -> SystemNode | None:
        return self.systems.get(system_id) if system_id is not None else None
