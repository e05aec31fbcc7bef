"""Value checks for spec fields: each takes a raw YAML/JSON value and returns the clean
value or raises Invalid with a message a spec author can act on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from plumbline import storable

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEY_MAX = 100
# Within a 32-bit integer column, and far beyond any real count of minutes, days or records.
MAX_INTEGER = 2_000_000_000
# Far beyond any real estimate, and small enough that hours x months stays a finite number.
MAX_HOURS = 1_000_000

Check = Callable[[Any], Any]


class Invalid(Exception):
    """A field value that breaks the spec format."""


def _storable(value: str) -> str:
    # YAML's "\0" and "\ud800" escapes reach here as well as JSON's.
    if found := storable.text_problem(value):
        raise Invalid(found)
    return value


def text(max_length: int = 200) -> Check:
    def check(value: Any) -> str:
        if isinstance(value, bool | float):
            raise Invalid("must be text; quote it so YAML keeps it as written")
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise Invalid("must be text")
        if len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters")
        return _storable(value)

    return check


def long_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be text")
    return _storable(value)


def enum(values: Iterable[str]) -> Check:
    allowed = tuple(values)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise Invalid(f"must be one of {', '.join(allowed)} (got {value!r})")
        return value

    return check


def integer(minimum: int) -> Check:
    word = "a positive integer" if minimum == 1 else "a whole number of 0 or more"

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Invalid(f"must be {word}")
        if value > MAX_INTEGER:
            raise Invalid("is too large")
        return value

    return check


positive_integer = integer(1)
non_negative_integer = integer(0)


def hours(value: Any) -> float:
    # `not value >= 0` also refuses NaN, which YAML spells .nan.
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise Invalid("must be a number of hours, 0 or more")
    if value > MAX_HOURS:
        raise Invalid(f"is too large (at most {MAX_HOURS:,} hours)")
    return float(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return value


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("must be a date (YYYY-MM-DD)")


def key(value: Any) -> str:
    if not isinstance(value, str) or not KEY_RE.match(value):
        raise Invalid("must be a lowercase slug: letters a-z, digits and '-', starting with a letter or digit")
    if len(value) > KEY_MAX:
        raise Invalid(f"must be at most {KEY_MAX} characters")
    return value


_email_validator = EmailValidator()


def email(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be an email address")
    try:
        _email_validator(value)
    except ValidationError:
        raise Invalid(f"must be an email address (got {value!r})") from None
    if value != value.lower():
        raise Invalid("must be lowercase")
    return value


_url_validator = URLValidator(schemes=["http", "https"])


def url(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be an http(s) URL")
    try:
        _url_validator(value)
    except ValidationError:
        raise Invalid(f"must be an http(s) URL (got {value!r})") from None
    if len(value) > 500:
        raise Invalid("must be at most 500 characters")
    return _storable(value)


def env_name(value: Any) -> str:
    if not isinstance(value, str) or not ENV_NAME_RE.match(value):
        raise Invalid("must be the name of an environment variable (letters, digits, '_'), never a secret")
    return value


def credential_env(value: Any) -> str:
    """secret_env: the name of a credential variable; see not_a_credential_variable."""
    name = env_name(value)
    if problem := not_a_credential_variable(name):
        raise Invalid(problem)
    return name


def not_a_credential_variable(name: str) -> str | None:
    """Why the named variable may not hold a platform credential, or None when it may.

    A credential goes to whatever base_url an account names, so only variables set aside for
    credentials (the PLUMBLINE_CRED_PREFIX prefix) are read, and never one Plumbline itself reads
    (settings.SETTINGS_ENV), whatever the prefix. The same rule runs at import and at call time.
    """
    prefix = settings.PLUMBLINE_CRED_PREFIX
    own = {n.upper() for n in settings.SETTINGS_ENV if not n.endswith("*")}
    own_prefixes = tuple(n[:-1].upper() for n in settings.SETTINGS_ENV if n.endswith("*"))
    if name.upper() in own or name.upper().startswith(own_prefixes):
        return f"{name} is a variable Plumbline itself reads, never a credential: keep the credential in {prefix}<NAME>"
    if not name.startswith(prefix):
        return (
            f"{name} does not start with {prefix}: credentials are read only from variables named "
            f"{prefix}<NAME>; rename the variable"
        )
    if name == prefix:
        return f"{name} is only the prefix: credentials are read from variables named {prefix}<NAME>"
    return None


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid("must be a list")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"item {index + 1} must be non-empty text")
        if len(item) > 200:
            raise Invalid(f"item {index + 1} must be at most 200 characters")
        if found := storable.text_problem(item):
            raise Invalid(f"item {index + 1} {found}")
        items.append(item)
    return items


def key_list(value: Any) -> list[str]:
    items = text_list(value)
    for index, item in enumerate(items):
        try:
            key(item)
        except Invalid as error:
            raise Invalid(f"item {index + 1} ({item!r}) {error}") from None
    if len(set(items)) != len(items):
        raise Invalid("lists a key twice")
    return items
