"""The form renderer (settings.FORM_RENDERER): Django's, with its commonest widgets written in Python.

Django renders every widget through templates: an input is three templates deep, a select renders
one template per option. A page with many small forms or long selects spends most of its time
there (the integration edit form's owner and system selects list every person and system; a
go-live page carries an attestation form on each attestable row; each finding row its waiver
form). Here the input, select and textarea widgets (the templates named in PYTHON) are written
out by functions that produce exactly what Django's own templates do (same attributes, order,
escaping and whitespace: tests/test_form_rendering.py compares the two on every widget of the
project's forms and on tricky values); any other template, or one a project overrides, goes
through Django's templates as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: str() of it, escaped unless already safe."""
    return str(conditional_escape(str(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html (and text, date, url, email, number, checkbox... which include it)."""
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/select_option.html, with its closing newline."""
    label = conditional_escape(option["label"])
    return f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n'


def _select(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/select.html; options whose template is not select_option.html are not its to write."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                raise _NotOurs
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _textarea(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


class _NotOurs(Exception):
    """A widget these functions do not write exactly: Django's template renders it."""


SELECT_OPTION = "django/forms/widgets/select_option.html"
_INPUTS = ("text", "date", "url", "email", "number", "password", "hidden", "checkbox", "search", "tel", "time")
PYTHON: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "django/forms/widgets/input.html": _input,
    **{f"django/forms/widgets/{kind}.html": _input for kind in _INPUTS},
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/textarea.html": _textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    """DjangoTemplates, but the widgets in PYTHON are written without a template (see the module's docstring)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        write = PYTHON.get(template_name)
        widget = context.get("widget")
        if write is not None and isinstance(widget, Mapping) and not self._overridden(template_name):
            try:
                return write(widget)
            except _NotOurs:
                pass
        return super().render(template_name, context, request)

    def _overridden(self, template_name: str) -> bool:
        """Whether a project template replaces Django's own (then it is rendered as written)."""
        if template_name not in _origins:
            _origins[template_name] = "django/forms/templates" not in self.get_template(template_name).origin.name
        return _origins[template_name]


_origins: dict[str, bool] = {}
