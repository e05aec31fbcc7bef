"""A readable, server-rendered page of the API, built from the generated OpenAPI schema
(no Swagger UI or Redoc: they load from a CDN, and Plumbline must work offline)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

from plumbline.accounts.roles import role_required
from plumbline.http import read_only

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any], named: dict[str, Any]) -> str:
    """A short human type: "string (date)", "Integration", "list of Mapping", "one of a, b".
    `named` are the schema's components; enums among them are spelled out."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return type_of(named[name], named) if "enum" in named.get(name, {}) else name
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in schema:
            return " | ".join(type_of(part, named) for part in schema[combined])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"] if value not in ("", None))
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return "list of " + type_of(schema.get("items", {}), named)
    if fmt := schema.get("format"):
        return f"{kind} ({fmt})"
    return kind


def _body_type(content: dict[str, Any] | None, named: dict[str, Any]) -> str:
    if not content:
        return ""
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return type_of(media.get("schema", {}), named) if media.get("schema") else ""


def _named(schema: dict[str, Any]) -> dict[str, Any]:
    named: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    return named


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    named = _named(schema)
    found: list[dict[str, Any]] = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.get("responses", {})
            ok: dict[str, Any] = next((responses[code] for code in sorted(responses) if code.startswith("2")), {})
            found.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": type_of(parameter.get("schema", {}), named),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "request": _body_type(operation.get("requestBody", {}).get("content"), named),
                    "response": _body_type(ok.get("content"), named),
                }
            )
    return found


def components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The object components with their fields; enums are spelled out where used instead."""
    named = _named(schema)
    found: list[dict[str, Any]] = []
    for name, component in named.items():
        if "enum" in component:
            continue
        required = set(component.get("required", []))
        fields = [
            {
                "name": field_name,
                "type": type_of(field_schema, named),
                "required": field_name in required,
                "read_only": field_schema.get("readOnly", False),
                "description": field_schema.get("description", ""),
            }
            for field_name, field_schema in component.get("properties", {}).items()
        ]
        found.append({"name": name, "description": component.get("description", ""), "fields": fields})
    return found


@read_only
@role_required
def api_docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {
        "info": schema.get("info", {}),
        "endpoints": endpoints(schema),
        "components": components(schema),
    }
    return render(request, "api/docs.html", context)
