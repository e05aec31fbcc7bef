from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog (what is written)"

    def ready(self) -> None:
        from catalog import protection  # noqa: F401  (refuses deleting a value map or calendar still named)
        from catalog.rules import receivers  # noqa: F401  (connects the findings refresh)
