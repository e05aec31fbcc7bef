"""The Celery app: Redis when REDIS_URL is set, else kombu's filesystem transport."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

app = Celery("plumbline")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_configure.connect
def _configure(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # Producer and consumer share one folder: the broker is just files on disk.
        folder = settings.CELERY_BROKER_FOLDER
        for sub in ("processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        sender.conf.broker_transport_options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "control_folder": str(folder / "control"),
        }
    sender.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=300,
        task_soft_time_limit=240,
        task_ignore_result=not bool(settings.CELERY_RESULT_BACKEND),
        beat_schedule_filename=str(settings.CELERY_BEAT_SCHEDULE_FILE),
        timezone="UTC",
    )
    settings.CELERY_BEAT_SCHEDULE_FILE.parent.mkdir(parents=True, exist_ok=True)


@worker_ready.connect
def _serve_metrics(sender: object, **kwargs: object) -> None:
    from plumbline.metrics.worker import serve_worker_metrics

    serve_worker_metrics()  # only with PLUMBLINE_WORKER_METRICS_PORT set


app.autodiscover_tasks()
