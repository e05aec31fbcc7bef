"""Keep stored findings in step with the specs: refresh after every committed import or edit."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from catalog.rules.store import refresh_findings
from catalog.signals import specs_changed

logger = logging.getLogger(__name__)


@receiver(specs_changed, dispatch_uid="catalog.rules.refresh_findings")
def refresh_after_specs_changed(sender: Any, **kwargs: Any) -> None:
    # The import has committed by now; a failing refresh must not turn it into an error.
    # The nightly task refreshes again.
    try:
        refresh_findings()
    except Exception:
        logger.exception("refreshing findings after a spec change failed")
