"""Reading /metrics as Prometheus would: the text parsed by prometheus_client's own parser."""

from __future__ import annotations

from collections.abc import Mapping

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-for-tests"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: Client | None = None, token: str = TOKEN) -> Samples:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled counter not yet incremented (it has no sample yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, names: tuple[str, ...]) -> Mapping[tuple[str, frozenset], float]:
    """How far each sample of the named metrics moved between two scrapes (unmoved ones left out)."""
    keys = {key for key in (*before, *after) if key[0] in names}
    deltas = {key: after.get(key, 0.0) - before.get(key, 0.0) for key in keys}
    return {key: delta for key, delta in deltas.items() if delta}


def sample(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return (name, frozenset(labels.items()))
