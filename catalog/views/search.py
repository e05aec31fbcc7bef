"""/search/: integrations, systems, people, platform accounts and go-lives found by key, name,
owner, data object or mapping field, grouped by kind.

Matching is done in Python with str.casefold(), over the few columns each kind is searched by:
SQLite's LIKE folds ASCII letters only and PostgreSQL's UPPER/ILIKE depend on the database's
locale, so "ångström" would find "ÅNGSTRÖM" on one database and not the other. An estate is
hundreds of integrations, not millions, so reading those columns costs one query per kind,
whatever the query and however many rows match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from catalog.models import GoLive, Integration, Mapping, Person, PlatformAccount, System
from catalog.views import listing
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

MAX_QUERY = 200
# Hits shown per kind on the overview; one kind's page (?kind=) shows up to ALL_CAP.
CAP = 10
ALL_CAP = 500


def folded(text: str) -> str:
    """Text as it is compared: composed (NFKC, so a decomposed Å is the Å) and casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


def terms_of(query: str) -> list[str]:
    """The query's words, folded; a row matches when every word is in one of its fields."""
    return [folded(word) for word in query.split()]


@dataclass
class Hit:
    """One object found: what it is, where it lives, and why it matched."""

    label: str
    key: str
    url: str
    detail: str = ""
    found: Match = field(default_factory=lambda: Match(2, []))


@dataclass(frozen=True)
class Match:
    rank: int  # 0: the whole query is the key or name, 1: it starts one, 2: anything else
    why: list[str]  # "owner: Ana Lopez", one per field a word was found in


def match(terms: list[str], fields: Iterable[tuple[str, str]]) -> Match | None:
    """How a row matches when every term occurs in one of its fields, else None. `fields` are
    (what, text) pairs, the key and the name first."""
    pairs = [(what, text, folded(text)) for what, text in fields if text]
    reasons: list[str] = []
    for term in terms:
        hit = next(((what, text) for what, text, f in pairs if term in f), None)
        if hit is None:
            return None
        reason = f"{hit[0]}: {hit[1]}"
        if reason not in reasons:
            reasons.append(reason)
    whole = " ".join(terms)
    rank = 2
    for _, _, f in pairs[:2]:  # the first two fields are the key and the name
        if f == whole:
            return Match(0, reasons)
        if f.startswith(whole):
            rank = 1
    return Match(rank, reasons)


def _person(person: Person | None) -> list[tuple[str, str]]:
    return [("owner", person.name), ("owner", person.email)] if person is not None else []


def _integrations(terms: list[str]) -> list[Hit]:
    mappings: dict[int, list[tuple[str, str]]] = {}
    for integration_id, source, target in Mapping.objects.values_list("integration_id", "source", "target"):
        mappings.setdefault(integration_id, []).extend([("mapping", source), ("mapping", target)])
    rows = Integration.objects.select_related("source", "target", "owner").only(
        "key", "name", "data_objects", "lifecycle", "source__key", "source__name", "target__key", "target__name",
        "owner__email", "owner__name",
    )  # fmt: skip
    hits = []
    for i in rows:
        fields = [("key", i.key), ("name", i.name), *_person(i.owner)]
        fields += [("data object", str(d)) for d in i.data_objects or [] if isinstance(d, str)]
        found = match(terms, fields + mappings.get(i.pk, []))
        if found:
            route = f"{i.source.display_name if i.source else '—'} → {i.target.display_name if i.target else '—'}"
            hits.append(Hit(i.display_name, i.key, reverse("integration-detail", args=[i.key]), route, found))
    return hits


def _systems(terms: list[str]) -> list[Hit]:
    hits = []
    for s in System.objects.select_related("owner"):
        found = match(terms, [("key", s.key), ("name", s.name), ("vendor", s.vendor), *_person(s.owner)])
        if found:
            detail = s.get_category_display() + (f" · {s.vendor}" if s.vendor else "")
            hits.append(Hit(s.display_name, s.key, reverse("system-detail", args=[s.key]), detail, found))
    return hits


def _people(terms: list[str]) -> list[Hit]:
    hits = []
    for p in Person.objects.all():
        found = match(terms, [("email", p.email), ("name", p.name), ("team", p.team)])
        if found:
            detail = p.team + ("" if p.active else " · left the company")
            hits.append(Hit(p.display_name, p.email, reverse("person-detail", args=[p.email]), detail, found))
    return hits


def _platform_accounts(terms: list[str]) -> list[Hit]:
    hits = []
    for a in PlatformAccount.objects.all():
        fields = [("key", a.key), ("account", a.account_id), ("platform", a.get_platform_display())]
        found = match(terms, fields)
        if found:
            url = reverse("api:platform-account-detail", args=[a.key])
            hits.append(Hit(a.key, a.key, url, a.get_platform_display(), found))
    return hits


def _golives(terms: list[str]) -> list[Hit]:
    hits = []
    for g in GoLive.objects.select_related("approver"):
        fields = [("key", g.key), ("name", g.name)]
        if g.approver is not None:
            fields += [("approver", g.approver.name), ("approver", g.approver.email)]
        found = match(terms, fields)
        if found:
            detail = g.date.isoformat() if g.date else "no date set"
            hits.append(Hit(str(g), g.key, reverse("golive-detail", args=[g.key]), detail, found))
    return hits


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str  # plural, as a heading
    one: str  # singular, as a column header and in "1 system"
    find: Callable[[list[str]], list[Hit]]


KINDS = (
    Kind("integrations", "Integrations", "Integration", _integrations),
    Kind("systems", "Systems", "System", _systems),
    Kind("people", "People", "Person", _people),
    Kind("platform-accounts", "Platform accounts", "Platform account", _platform_accounts),
    Kind("golives", "Go-lives", "Go-live", _golives),
)
BY_SLUG = {kind.slug: kind for kind in KINDS}


def _errors(request: HttpRequest) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(request.GET) - {"q", "kind"})
    for name in unknown:
        errors[name] = ["is not a search parameter (use q and kind)"]
    if len(request.GET.get("q", "")) > MAX_QUERY:
        errors["q"] = [f"must be at most {MAX_QUERY} characters"]
    kind = request.GET.get("kind", "")
    if kind and kind not in BY_SLUG:
        errors["kind"] = [f"must be one of {', '.join(BY_SLUG)}"]
    return errors


@read_only
@role_required
def search(request: HttpRequest) -> HttpResponse:
    errors = _errors(request)
    if errors:
        return listing.bad_parameters(request, errors)
    query = " ".join(request.GET.get("q", "").split())
    only = BY_SLUG.get(request.GET.get("kind", ""))
    terms = terms_of(query)
    groups = []
    if terms:
        for kind in [only] if only else KINDS:
            hits = sorted(kind.find(terms), key=lambda h: (h.found.rank, folded(h.label), h.key))
            cap = ALL_CAP if only else CAP
            groups.append(
                {
                    "kind": kind,
                    "hits": hits[:cap],
                    "total": len(hits),
                    "counted": f"{len(hits)} {(kind.one if len(hits) == 1 else kind.title).lower()}",
                    "all_url": f"{reverse('search')}?{urlencode({'q': query, 'kind': kind.slug})}",
                }
            )
    context: dict[str, Any] = {
        "search_query": query,
        "groups": [g for g in groups if g["total"]],
        "found": sum(g["total"] for g in groups),
        "only": only,
        "everywhere_url": f"{reverse('search')}?{urlencode({'q': query})}",
    }
    return render(request, "catalog/search.html", context)
