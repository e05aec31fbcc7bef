"""A real Celery worker on the real Redis runs a catalog task against the test database."""

from __future__ import annotations

import pytest

from catalog.models import Integration, Person
from catalog.tasks import refresh_completeness_task
from tests.celery_worker import celery_worker, redis_broker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_refreshes_completeness_in_the_test_database():
    owner = Person.objects.create(email="ana@example.com")
    Integration.objects.create(key="orders", owner=owner, completeness_score=0.5, completeness_missing=",x,")
    with celery_worker("smoke"), redis_broker():
        refresh_completeness_task.delay()
        assert wait_for(lambda: Integration.objects.get(key="orders").completeness_missing != ",x,")
    integration = Integration.objects.get(key="orders")
    assert integration.missing_parts == ["systems", "mappings", "frequency", "error_handling", "maintenance"]
    assert integration.completeness_score == pytest.approx(1 / 6)
