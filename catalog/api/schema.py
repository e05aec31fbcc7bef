"""How the OpenAPI schema describes what every operation shares: the error answers.

Each error is one response component (#/components/responses/NotFound, ...), named once here and
referred to by every operation that can give it, so the schema says what the API does without
each view repeating it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error in a sentence."""

    detail = serializers.CharField()


FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Messages by field path (sync.interval_minutes, mappings[0].target), query parameter or URL "
        "parameter; non_field_errors for the body as a whole."
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

# status: (component name, description); the 400 is field errors or, for a body that is not JSON, a detail.
ERRORS: dict[str, tuple[str, str]] = {
    "400": (
        "BadRequest",
        "A parameter, the body or a value in it is wrong: unknown, malformed, or not storable (a NUL "
        "character, a lone surrogate, a number beyond 64 bits, a time outside years 1-9999).",
    ),
    "401": ("Unauthenticated", "No credentials, or a token that is unknown or revoked."),
    "403": (
        "Forbidden",
        "The account has no role, its role may not do this, the token is read-only, or a session "
        "request lacks its CSRF token.",
    ),
    "404": ("NotFound", "No document with this key, or a page past the last."),
    "409": ("InUse", "The document is still referenced; change or delete what references it first."),
    "415": ("UnsupportedMediaType", "The body is not application/json."),
    "429": ("Throttled", "Too many requests; try again after the seconds Retry-After gives."),
}


def error_codes(method: str, path: str) -> list[str]:
    """The errors an operation can answer: every one may meet a bad parameter, missing or
    insufficient credentials and the rate limit; one naming a document may not find it, and a
    list may be asked for a page past its last."""
    codes = ["400", "401", "403", "429"]
    if "{" in path or method == "GET":
        codes.append("404")
    if method == "DELETE":
        codes.append("409")
    if method in ("POST", "PUT", "PATCH"):
        codes.append("415")
    return sorted(codes)


class PlumblineAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in error_codes(self.method, self.path):
            responses.setdefault(code, self._error_response(code))
        return responses

    def _error_response(self, code: str) -> dict[str, Any]:
        name, description = ERRORS[code]
        detail = self.resolve_serializer(ErrorSerializer, "response").ref
        if code == "400":
            field_errors = ResolvedComponent("FieldErrors", ResolvedComponent.SCHEMA, FIELD_ERRORS, "FieldErrors")
            self.registry.register_on_missing(field_errors)
            schema: dict[str, Any] = {"oneOf": [field_errors.ref, detail]}
        else:
            schema = detail
        body = {"description": description, "content": {"application/json": {"schema": schema}}}
        component = ResolvedComponent(name, ResolvedComponent.RESPONSE, body, name)
        self.registry.register_on_missing(component)
        return component.ref

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        """Read-only fields are required in a response, unless the serializer names them as
        sometimes left out (`optional_read_only`)."""
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        optional = getattr(serializer, "optional_read_only", ())
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema
