"""plumbline/form_rendering.py writes the input, select and textarea widgets in Python: what it writes
must be byte for byte what Django's templates write, on crafted widgets and on every form page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from catalog.models import GoLive, GoLiveIntegration, Integration
from catalog.rules.store import refresh_findings
from plumbline.form_rendering import FastWidgetRenderer

DJANGO = "django.forms.renderers.DjangoTemplates"
FAST = "plumbline.form_rendering.FastWidgetRenderer"
HOSTILE = "<script>alert('x')</script> & \"quoted\""

WIDGETS: list[tuple[forms.Widget, Any]] = [
    (forms.TextInput(), None),
    (forms.TextInput(), ""),
    (forms.TextInput(attrs={"placeholder": HOSTILE, "required": True, "disabled": False}), HOSTILE),
    (forms.TextInput(), mark_safe("<b>already safe</b>")),
    (forms.TextInput(attrs={"maxlength": 20, "aria-describedby": "x_helptext"}), 0),
    (forms.NumberInput(attrs={"min": 1, "step": "any"}), 15),
    (forms.DateInput(), dt.date(2026, 12, 1)),
    (forms.URLInput(), "https://example.com/?a=1&b=<2>"),
    (forms.EmailInput(), "ana.lopez@example.com"),
    (forms.HiddenInput(), "secret-key"),
    (forms.PasswordInput(render_value=True), "p&ss"),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.Textarea(), None),
    (forms.Textarea(attrs={"rows": 3}), "line one\nline <two> & 'three'"),
    (forms.Select(choices=[]), None),
    (forms.Select(choices=[("", "---------"), ("a", "A & B"), (1, gettext_lazy("One"))]), "a"),
    (forms.Select(choices=[("x", HOSTILE), ("y", mark_safe("<i>safe</i>"))], attrs={"required": True}), "y"),
    (forms.Select(choices=[("Group <1>", [("g1", "G one"), ("g2", "G two")]), ("loose", "Loose")]), "g2"),
    (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), ["a", "c"]),
    (forms.NullBooleanSelect(), None),
    (forms.NullBooleanSelect(), True),
    (forms.RadioSelect(choices=[("a", "A"), ("b", "B")]), "a"),  # not written in Python: Django's templates
]


@pytest.mark.parametrize(
    ("widget", "value"), WIDGETS, ids=lambda x: type(x).__name__ if isinstance(x, forms.Widget) else ""
)
def test_each_widget_is_written_as_djangos_templates_write_it(widget, value):
    attrs = {"id": "id_field"}
    ours = widget.render("field", value, attrs=attrs, renderer=FastWidgetRenderer())
    theirs = widget.render("field", value, attrs=attrs, renderer=DjangoTemplates())
    assert ours == theirs
    assert "<script>" not in ours


def test_the_python_writers_are_used_for_the_common_widgets(monkeypatch):
    """Not merely equal because everything fell back to the templates."""
    renderer = FastWidgetRenderer()
    monkeypatch.setattr(renderer, "get_template", lambda name: pytest.fail(f"template rendered: {name}"))
    monkeypatch.setattr("plumbline.form_rendering._origins", {})
    monkeypatch.setattr(FastWidgetRenderer, "_overridden", lambda self, name: False)
    html = forms.Select(choices=[("a", "A")]).render("s", "a", renderer=renderer)
    assert html == '<select name="s">\n  <option value="a" selected>A</option>\n\n</select>'
    assert forms.TextInput().render("t", "v", renderer=renderer) == '<input type="text" name="t" value="v">'


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _pages(client: Any, requests: list[tuple[str, str, dict[str, str] | None]]) -> list[str]:
    out = []
    for method, url, data in requests:
        response = client.post(url, data) if method == "POST" else client.get(url)
        assert response.status_code in (200, 400), (url, response.status_code)
        out.append(CSRF.sub('name="csrfmiddlewaretoken" value="-"', response.content.decode()))
    return out


@pytest.mark.django_db
def test_every_form_page_is_the_same_with_either_renderer(estate, client_for):
    golive = GoLive.objects.create(key="big-bang", name="Big bang", date=dt.date(2027, 1, 4))
    GoLiveIntegration.objects.bulk_create(
        GoLiveIntegration(golive=golive, integration=integration, position=n)
        for n, integration in enumerate(Integration.objects.order_by("key"))
    )
    refresh_findings()
    key = Integration.objects.order_by("key").values_list("key", flat=True).first()
    attest = {"integration": key, "item": "failure_simulation", "performed_by": HOSTILE}
    bad_edit = {"name": HOSTILE, "interval_minutes": "<b>often</b>", "owner": "nobody@example.com"}
    requests: list[tuple[str, str, dict[str, str] | None]] = [
        ("GET", f"/integrations/{key}/edit/", None),
        ("POST", f"/integrations/{key}/edit/", bad_edit),
        ("GET", "/integrations/new/", None),
        ("GET", "/systems/new/", None),
        ("GET", "/systems/netsuite/edit/", None),
        ("GET", "/people/new/", None),
        ("GET", "/people/ana.lopez@example.com/edit/", None),
        ("GET", "/golives/new/", None),
        ("GET", "/golives/big-bang/", None),
        (
            "POST",
            "/golives/big-bang/attest/",
            attest,
        ),
        ("GET", "/findings/", None),
        ("GET", "/graph/", None),
        ("GET", "/upload/", None),
        ("GET", "/reminders/", None),
        ("GET", "/integrations/?lifecycle=live", None),
    ]
    client = client_for("admin")
    with override_settings(FORM_RENDERER=DJANGO):
        theirs = _pages(client, requests)
    with override_settings(FORM_RENDERER=FAST):
        ours = _pages(client, requests)
    for (_, url, _), mine, django in zip(requests, ours, theirs, strict=True):
        assert mine == django, url
    # The pages hold the widgets compared: selects with options, text inputs, a textarea, refused values.
    joined = "".join(ours)
    assert joined.count("<select") >= 10 and joined.count("<option") >= 50 and "<textarea" in joined
    assert "&lt;b&gt;often&lt;/b&gt;" in ours[1] and "<b>often</b>" not in ours[1]
