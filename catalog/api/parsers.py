"""The parser of every API request body: JSON, and only JSON a database can store.

Checked here, before any serializer, so no view can forget: a NUL character or a lone surrogate
in any string (field names too), an integer beyond 64 bits, a number too big to be finite
(1e400) is a 400 keyed by the field's path, as the importer keys its errors."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from plumbline import storable

# Enough to show what is wrong without echoing a whole hostile body back.
MAX_REPORTED = 20


class StorableJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        errors: dict[str, list[str]] = {}
        for path, message in storable.problems(data):
            errors.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).append(message)
            if len(errors) >= MAX_REPORTED:
                break
        if errors:
            raise ValidationError(errors)
        return data
