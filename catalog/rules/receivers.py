"""Keep stored findings in step with the specs: refresh after every committed import or edit."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.dispatch import receiver

from catalog.rules.store import refresh_findings
from catalog.signals import health_changed, specs_changed

logger = logging.getLogger(__name__)


@receiver(specs_changed, dispatch_uid="catalog.rules.refresh_findings")
def refresh_after_specs_changed(sender: Any, **kwargs: Any) -> None:
    # The import has committed by now; a failing refresh must not turn it into an error.
    # The nightly task refreshes again.
    try:
        refresh_findings()
    except Exception:
        logger.exception("refreshing findings after a spec change failed")


REFRESH_DELAY_SECONDS = 30


@receiver(health_changed, dispatch_uid="catalog.rules.refresh_after_health")
def refresh_after_health_changed(sender: Any, **kwargs: Any) -> None:
    """Flips come in bursts (an outage flips many integrations in one pass): refresh once,
    a little later, in a worker, however many flips arrive meanwhile."""
    from catalog.tasks import refresh_findings as task

    if cache.add("findings:refresh-pending", True, timeout=REFRESH_DELAY_SECONDS):
        task.apply_async(countdown=REFRESH_DELAY_SECONDS)
