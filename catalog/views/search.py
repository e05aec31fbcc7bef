"""/search/: integrations, systems, people, platform accounts and go-lives found by key, name,
owner, data object or mapping field, grouped by kind.

Matching is done in Python with str.casefold(), over the few columns each kind is searched by:
SQLite's LIKE folds ASCII letters only and PostgreSQL's UPPER/ILIKE depend on the database's
locale, so "ångström" would find "ÅNGSTRÖM" on one database and not the other. Reading those
columns costs one query per kind, whatever the query and however many rows match; integrations,
which run to thousands, are kept folded by each process while a fingerprint of their tables (one
aggregate query) holds.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from catalog.aggregates import table_aggregates
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
    """One object found: what it is, where it lives and how well it matched. Its URL and the
    reasons it matched are worked out only for the hits shown (a search may match thousands)."""

    label: str
    key: str
    route: str  # a URL name, reversed with the key
    detail: str
    terms: list[str]
    fields: list[tuple[str, str]]  # (what, text) pairs, as match() reads them

    @property
    def url(self) -> str:
        return reverse(self.route, args=[self.key])

    @property
    def why(self) -> list[str]:
        found = match(self.terms, self.fields)
        return found.why if found else []


class Found(NamedTuple):
    """What a search found of one kind: how many, and the first n as Hits, in order."""

    total: int
    first: Callable[[int], list[Hit]]


# What a small kind's finder returns for each row that matches: (rank, folded label, key, the Hit
# made when shown).
# Thousands may match; only the first page of them is made into Hits.
Candidate = tuple[int, str, str, Callable[[], Hit]]


@dataclass(frozen=True)
class Match:
    rank: int  # 0: the whole query is the key or name, 1: it starts one, 2: anything else
    why: list[str]  # "owner: Ana Lopez", one per field a word was found in


def rank_of(terms: list[str], texts: list[str]) -> int | None:
    """match()'s rank, or None where match() finds nothing, of fields with these texts (the key and
    the name first), with one fold of the texts: they are joined by NUL, which folds to itself and
    composes with nothing (so the joined text folds as its parts do), and a term without NUL can
    only be found inside one field. Stored text should never hold NUL (imports refuse it); a term
    with one matches nothing."""
    joined = folded("\x00".join(texts))
    if any("\x00" in term for term in terms):
        return None
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL after all: the slow way
        found = match(terms, [("", text) for text in texts])
        return found.rank if found else None
    return _rank_in(terms, joined, " ".join(terms))


def _rank_in(terms: list[str], joined: str, whole: str) -> int | None:
    """rank_of() of texts already folded and joined by NUL (none of them holding NUL), for terms
    without NUL making up `whole`. It allocates no container: run for 10,000 rows a search, those
    would wake the garbage collector."""
    for term in terms:
        if term not in joined:
            return None
    # The key and the name (the first two fields), skipping an empty one as match() does.
    cut = joined.find("\x00")
    key, rest = (joined, "") if cut < 0 else (joined[:cut], joined[cut + 1 :])
    cut = rest.find("\x00")
    name = rest if cut < 0 else rest[:cut]
    if not key or not name:
        first_two = [part for part in joined.split("\x00") if part][:2]
        if whole in first_two:
            return 0
        return 1 if any(part.startswith(whole) for part in first_two) else 2
    if whole == key or whole == name:  # noqa: SIM109  (`in (key, name)` makes a tuple a row)
        return 0
    return 1 if key.startswith(whole) or name.startswith(whole) else 2


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


def _person(name: str | None, email: str | None, what: str = "owner") -> list[tuple[str, str]]:
    return [(what, name or ""), (what, email)] if email is not None else []


def _hit(
    terms: list[str], fields: list[tuple[str, str]], label: str, key: str, route: str, detail: str
) -> Candidate | None:
    rank = rank_of(terms, [text for _, text in fields])
    hit = Hit(label, key, route, detail, terms, fields)
    return None if rank is None else (rank, folded(label), key, lambda: hit)


def _data_objects(raw: str | None) -> list[str]:
    """The data objects of a row read as JSON text: most lists are empty, and decoding 10,000
    empty lists costs more than the search."""
    if not raw or raw == "[]":
        return []
    decoded = json.loads(raw)
    return [d for d in decoded if isinstance(d, str)] if isinstance(decoded, list) else []


class _Indexed(NamedTuple):
    """An integration as search reads it, its texts folded once. Tuples of text only: the garbage
    collector stops tracking those, so 10,000 of them kept for good cost no collection pass."""

    row: tuple[Any, ...]  # pk, key, name, source key and name, target key and name, owner email and name
    objects: tuple[str, ...]
    mapped: tuple[str, ...]
    texts: tuple[str, ...]  # key, name, owner name, owner email, data objects, mapping fields
    joined: str | None  # the texts folded and joined by NUL (None: a text holds NUL, see rank_of)
    label: str  # folded, for sorting


# The integrations as search reads them, kept by each process while the fingerprint of what they are
# read from holds (one aggregate query a search): at 10,000 integrations, reading and folding them
# for every search cost twice the page's budget.
_index: tuple[tuple[Any, ...], list[_Indexed]] | None = None
_FINGERPRINT = (
    (Integration, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    # Mappings are replaced, never edited in place (import, pages, API): a new one has a new id.
    (Mapping, ("COUNT(*)", "MAX(id)")),
    (Person, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (System, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
)


def forget_index() -> None:
    """Drop this process's index (tests do, between databases that may look alike)."""
    global _index
    _index = None


def _integration_index() -> list[_Indexed]:
    global _index
    mark = (connection.alias, connection.settings_dict["NAME"], *table_aggregates(_FINGERPRINT))
    if _index is None or _index[0] != mark:
        _index = (mark, _read_integrations())
    return _index[1]


def _read_integrations() -> list[_Indexed]:
    """Plain rows, not model instances: 10,000 of those cost more than the folding."""
    mappings: dict[int, list[str]] = {}
    for integration_id, source, target in Mapping.objects.order_by().values_list("integration_id", "source", "target"):
        mappings.setdefault(integration_id, []).extend((source, target))
    rows = Integration.objects.annotate(objects_text=Cast("data_objects", TextField())).values_list(
        "pk", "key", "name", "objects_text", "source__key", "source__name", "target__key", "target__name",
        "owner__email", "owner__name",
    )  # fmt: skip
    index = []
    for pk, key, name, raw, *rest in rows:
        email, owner = rest[-2:]
        objects, mapped = tuple(_data_objects(raw)), tuple(mappings.get(pk, ()))
        texts = (key, name, owner or "", email or "", *objects, *mapped)
        joined = folded("\x00".join(texts))
        exact = joined.count("\x00") == len(texts) - 1
        row = (pk, key, name, *rest)
        index.append(_Indexed(row, objects, mapped, texts, joined if exact else None, folded(name or key)))
    index.sort(key=lambda item: (item.label, item.row[1]))  # how hits of one rank are listed
    return index


def _integrations(terms: list[str]) -> Found:
    """Matched against the index, which is in (label, key) order: each row's position goes into the
    list of its rank, so the order is rank by rank with no sort and nothing made per match (a search
    matching 10,000 rows would otherwise wake the garbage collector over the whole process). Hits
    are made only for the rows shown."""
    index = _integration_index()
    ranks: tuple[list[int], list[int], list[int]] = ([], [], [])
    if not any("\x00" in term for term in terms):
        whole = " ".join(terms)
        for position, item in enumerate(index):
            joined = item.joined
            rank = rank_of(terms, list(item.texts)) if joined is None else _rank_in(terms, joined, whole)
            if rank is not None:
                ranks[rank].append(position)

    def first(n: int) -> list[Hit]:
        shown = [*ranks[0][:n], *ranks[1][:n], *ranks[2][:n]][:n]
        return [_integration_hit(terms, *index[p][:3]) for p in shown]

    return Found(sum(map(len, ranks)), first)


def _listed(find: Callable[[list[str]], list[Candidate]]) -> Callable[[list[str]], Found]:
    """A small kind's finder as a Found: its candidates sorted by rank, label and key."""

    def found(terms: list[str]) -> Found:
        candidates = sorted(find(terms), key=lambda c: (c[0], c[1], c[2]))
        return Found(len(candidates), lambda n: [make() for *_, make in candidates[:n]])

    return found


def _integration_hit(terms: list[str], row: tuple[Any, ...], objects: tuple[str, ...], mapped: tuple[str, ...]) -> Hit:
    _, key, name, source_key, source_name, target_key, target_name, email, owner = row
    source = (source_name or source_key) if source_key is not None else "—"
    target = (target_name or target_key) if target_key is not None else "—"
    fields = [("key", key), ("name", name), *_person(owner, email)]
    fields += [("data object", d) for d in objects] + [("mapping", m) for m in mapped]
    return Hit(name or key, key, "integration-detail", f"{source} → {target}", terms, fields)


def _systems(terms: list[str]) -> list[Candidate]:
    hits = []
    for s in System.objects.select_related("owner"):
        fields = [("key", s.key), ("name", s.name), ("vendor", s.vendor)]
        fields += _person(s.owner.name, s.owner.email) if s.owner else []
        detail = s.get_category_display() + (f" · {s.vendor}" if s.vendor else "")
        if hit := _hit(terms, fields, s.display_name, s.key, "system-detail", detail):
            hits.append(hit)
    return hits


def _people(terms: list[str]) -> list[Candidate]:
    hits = []
    for p in Person.objects.all():
        detail = p.team + ("" if p.active else " · left the company")
        fields = [("email", p.email), ("name", p.name), ("team", p.team)]
        if hit := _hit(terms, fields, p.display_name, p.email, "person-detail", detail):
            hits.append(hit)
    return hits


def _platform_accounts(terms: list[str]) -> list[Candidate]:
    hits = []
    for a in PlatformAccount.objects.all():
        platform = a.get_platform_display()
        fields = [("key", a.key), ("account", a.account_id), ("platform", platform)]
        if hit := _hit(terms, fields, a.key, a.key, "api:platform-account-detail", platform):
            hits.append(hit)
    return hits


def _golives(terms: list[str]) -> list[Candidate]:
    hits = []
    for g in GoLive.objects.select_related("approver"):
        fields = [("key", g.key), ("name", g.name)]
        fields += _person(g.approver.name, g.approver.email, "approver") if g.approver else []
        detail = g.date.isoformat() if g.date else "no date set"
        if hit := _hit(terms, fields, str(g), g.key, "golive-detail", detail):
            hits.append(hit)
    return hits


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str  # plural, as a heading
    one: str  # singular, as a column header and in "1 system"
    find: Callable[[list[str]], Found]


KINDS = (
    Kind("integrations", "Integrations", "Integration", _integrations),
    Kind("systems", "Systems", "System", _listed(_systems)),
    Kind("people", "People", "Person", _listed(_people)),
    Kind("platform-accounts", "Platform accounts", "Platform account", _listed(_platform_accounts)),
    Kind("golives", "Go-lives", "Go-live", _listed(_golives)),
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
            total, first = kind.find(terms)
            groups.append(
                {
                    "kind": kind,
                    "hits": first(ALL_CAP if only else CAP) if total else [],
                    "total": total,
                    "counted": f"{total} {(kind.one if total == 1 else kind.title).lower()}",
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
