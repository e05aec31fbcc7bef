from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring (what is observed)"

    def ready(self) -> None:
        from catalog import health
        from catalog.signals import specs_changed
        from monitoring import schedule
        from monitoring.health import readers, specs
        from plumbline.celery import app

        health.register_health_reader(readers.read_health)
        health.register_reason_reader(readers.read_health_reason)
        health.register_observed_reader(readers.read_observed_connections)
        health.register_failures_reader(readers.read_failures_since)
        health.register_health_annotator(readers.annotate_integrations)
        health.register_trend_readers(totals=readers.read_health_totals, flips=readers.read_flips)
        health.register_pages(ping=readers.ping_path, health_page=readers.health_page_path)
        specs_changed.connect(specs.on_specs_changed, dispatch_uid="monitoring.sync_sources")
        schedule.install(app)
