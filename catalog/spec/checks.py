"""Value checks for spec fields: each takes a raw YAML/JSON value and returns the clean
value or raises Invalid with a message a spec author can act on."""

from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from collections.abc import Callable, Iterable
from typing import Any

import jmespath
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from catalog import schedules
from catalog.spec.limits import TEXT_MAX
from catalog.workarounds.cadence import check_every
from plumbline import storable

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE_SHAPE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEY_MAX = 100
# Within a 32-bit integer column, and far beyond any real count of minutes, days or records.
MAX_INTEGER = 2_000_000_000
# Far beyond any real estimate, and small enough that hours x months stays a finite number.
MAX_HOURS = 1_000_000
# A monthly licence beyond a billion in any currency is a typing mistake.
MAX_MONEY = 1_000_000_000
# What YAML itself forbids in a file (C0 and C1 controls but tab and newlines, surrogates, U+FFFE/F):
# escapes ("\0") and JSON can still carry them, and PostgreSQL refuses a NUL in text.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# A value quoted in a message is cut short, however big or deep: a message must not carry a whole file.
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 80

Check = Callable[[Any], Any]


class Invalid(Exception):
    """A field value that breaks the spec format; `at` names the part of the value at fault
    ("status" of health.fields), so the error points at its own line."""

    def __init__(self, message: str, at: str = "") -> None:
        super().__init__(message)
        self.at = at


def shown(value: Any) -> str:
    """A value as quoted in a message: repr(), cut short."""
    return _SHOWN.repr(value)


def _printable(value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise Invalid(f"must be at most {max_length:,} characters")
    # NUL and lone surrogates in the words every door uses (the API, forms, pings), then the rest.
    if problem := storable.text_problem(value):
        raise Invalid(problem)
    if found := CONTROL_RE.search(value):
        raise Invalid(f"must not hold control character U+{ord(found.group()):04X} (character {found.start() + 1})")
    return value


def text(max_length: int = 200) -> Check:
    def check(value: Any) -> str:
        if isinstance(value, bool | float):
            raise Invalid("must be text; quote it so YAML keeps it as written")
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise Invalid("must be text")
        return _printable(value, max_length)

    return check


def long_text(value: Any) -> str:
    """Free text (description, workaround.description), up to TEXT_MAX characters."""
    if not isinstance(value, str):
        raise Invalid("must be text")
    return _printable(value, TEXT_MAX)


def enum(values: Iterable[str]) -> Check:
    allowed = tuple(values)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise Invalid(f"must be one of {', '.join(allowed)} (got {shown(value)})")
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
    # .nan and .inf are YAML floats but no number of hours, and JSON (the change history) has no word for them.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise Invalid("must be a number of hours, 0 or more")
    if value > MAX_HOURS:
        raise Invalid(f"is too large (at most {MAX_HOURS:,} hours)")
    return float(value)


def money(value: Any) -> float:
    """cost.licence_per_month: an amount in PLUMBLINE_CURRENCY, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise Invalid("must be an amount of money, 0 or more (a plain number in PLUMBLINE_CURRENCY)")
    if value > MAX_MONEY:
        raise Invalid(f"is too large (at most {MAX_MONEY:,})")
    return float(value)


def percent(value: Any) -> float:
    """A share of 0 to 100 (reconciliation.tolerance_percent: 0.5 is half a percent)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise Invalid("must be a percentage from 0 to 100")
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
            if DATE_SHAPE_RE.match(value):
                raise Invalid(f"must be a date (YYYY-MM-DD); {value} is not a day of the calendar") from None
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
        raise Invalid(f"must be an email address (got {shown(value)})") from None
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
        raise Invalid(f"must be an http(s) URL (got {shown(value)})") from None
    return _printable(value, 500)


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


def text_list(max_items: int) -> Check:
    """A list of at most max_items short texts."""

    def check(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise Invalid("must be a list")
        if len(value) > max_items:
            raise Invalid(f"must list at most {max_items:,} items")
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise Invalid(f"item {index + 1} must be non-empty text")
            try:
                items.append(_printable(item, 200))
            except Invalid as error:
                raise Invalid(f"item {index + 1} {error}") from None
        return items

    return check


def key_list(max_items: int) -> Check:
    """A list of at most max_items keys, none twice."""
    texts = text_list(max_items)

    def check(value: Any) -> list[str]:
        items: list[str] = texts(value)
        for index, item in enumerate(items):
            try:
                key(item)
            except Invalid as error:
                raise Invalid(f"item {index + 1} ({shown(item)}) {error}") from None
        if len(set(items)) != len(items):
            raise Invalid("lists a key twice")
        return items

    return check


# health.kind json (docs/json-health.md): JMESPath expressions read a run-history API's answer.
EXPRESSION_MAX = 500
RUN_FIELDS = (
    "id",
    "status",
    "started_at",
    "finished_at",
    "records_in",
    "records_out",
    "records_failed",
    "message",
    # Reconciliation (RECONCILIATION_GAP): the two systems' counts for a period.
    "source_count",
    "target_count",
    "period_start",
    "period_end",
)
RUN_FIELDS_REQUIRED = ("id", "status")
RUN_STATUSES = ("success", "failed", "running")  # what a run's status is mapped to (monitoring's RunStatus)
STATUS_MAP_MAX = 100


def expression(value: Any) -> str:
    """A JMESPath expression (jmespath.org), compiled now so a bad one is refused at import."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be a JMESPath expression (text)")
    _printable(value, EXPRESSION_MAX)
    try:
        jmespath.compile(value)
    except jmespath.exceptions.JMESPathError as error:
        raise Invalid(
            f"is not a valid JMESPath expression: {_expression_problem(error)} (got {shown(value)})"
        ) from None
    return value


def _expression_problem(error: jmespath.exceptions.JMESPathError) -> str:
    """What jmespath found wrong, on one line, with the character it stopped at."""
    if isinstance(error, jmespath.exceptions.LexerError):
        problem = str(getattr(error, "message", "")) or "cannot be read"
    elif isinstance(error, jmespath.exceptions.IncompleteExpressionError):
        problem = "it ends too early"
    elif isinstance(error, jmespath.exceptions.ParseError):
        token = getattr(error, "token_value", None)
        problem = "unexpected " + (f"token {shown(str(token))}" if token is not None else "token")
    else:
        problem = str(error).splitlines()[0]
    position = getattr(error, "lex_position", None)
    return f"{problem} at character {position + 1}" if isinstance(position, int) else problem


def run_fields(value: Any) -> dict[str, str]:
    """health.fields: the run field -> JMESPath expression (evaluated on each run item); id and status required."""
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of {', '.join(RUN_FIELDS)} to JMESPath expressions")
    clean: dict[str, str] = {}
    for name, raw in value.items():
        if name not in RUN_FIELDS:
            raise Invalid(f"unknown run field (known: {', '.join(RUN_FIELDS)})", at=str(name)[:100])
        try:
            clean[name] = expression(raw)
        except Invalid as error:
            raise Invalid(str(error), at=name) from None
    for name in RUN_FIELDS_REQUIRED:
        if name not in clean:
            raise Invalid("is required", at=name)
    return {name: clean[name] for name in RUN_FIELDS if name in clean}


def status_map(value: Any) -> dict[str, str]:
    """health.status_map: the API's status values (text, or integers kept as their digits) -> success,
    failed or running. A status the map does not name stops the poll."""
    if not isinstance(value, dict) or not value:
        raise Invalid(f"must be a mapping of the API's status values to {', '.join(RUN_STATUSES)}")
    if len(value) > STATUS_MAP_MAX:
        raise Invalid(f"must map at most {STATUS_MAP_MAX} status values")
    clean: dict[str, str] = {}
    for name, raw in value.items():
        if isinstance(name, bool) or not isinstance(name, str | int):
            raise Invalid("a status value must be text or an integer; quote it", at=str(name)[:100])
        text_name = str(name)
        try:
            _printable(text_name, 200)
        except Invalid as error:
            raise Invalid(str(error), at=text_name[:100]) from None
        if raw not in RUN_STATUSES:
            raise Invalid(f"must be one of {', '.join(RUN_STATUSES)} (got {shown(raw)})", at=text_name)
        if text_name in clean:
            raise Invalid("is mapped twice (as text and as a number)", at=text_name)
        clean[text_name] = raw
    return clean


def url_path(value: Any) -> str:
    """health.path: a path (with an optional query) joined to the account's base_url; never another origin."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        raise Invalid("must be a path starting with a single '/', joined to the account's base_url")
    if any(c in value for c in " \\#"):
        raise Invalid("must not hold spaces, backslashes or '#'")
    return _printable(value, 500)


# error_handling.notify: a person's email, a "#name" or http(s) URL for the signed webhook, or
# "<transport>:<name>" for a chat or paging service whose URL or routing key is read, at send time,
# from the variable notify_credential_variable names (monitoring/alerting/transports/README.md).
NOTIFY_TRANSPORTS = ("slack", "teams", "pagerduty")
_NOTIFY_PREFIX_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!//)")
_NOTIFY_NAME_RE = re.compile(r"^#?[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def notify_transport(entry: str) -> tuple[str, str] | None:
    """(transport, name) of a "slack:#finance-alerts" entry; None for an email, "#name" or URL."""
    match = _NOTIFY_PREFIX_RE.match(entry)
    if not match or "@" in entry[: match.end()]:
        return None
    return match.group(1).lower(), entry[match.end() :]


def notify_credential_variable(transport: str, name: str) -> str:
    """The variable holding the URL or routing key of an entry: slack:#finance-alerts reads
    PLUMBLINE_CRED_SLACK_FINANCE_ALERTS (the credential prefix is PLUMBLINE_CRED_PREFIX)."""
    tail = re.sub(r"[^A-Z0-9]+", "_", f"{transport}_{name.lstrip('#')}".upper()).strip("_")
    return settings.PLUMBLINE_CRED_PREFIX + tail


def notify_entry(value: str) -> str:
    """One notify entry; a "<transport>:<name>" one must name a known transport and a plain name."""
    parsed = notify_transport(value)
    if parsed is None:
        return value
    transport, name = parsed
    if transport not in NOTIFY_TRANSPORTS:
        raise Invalid(
            f"unknown transport {shown(transport)} in {shown(value)}: use one of "
            f"{', '.join(t + ':<name>' for t in NOTIFY_TRANSPORTS)}, an email, a #channel or an http(s) URL"
        )
    if not _NOTIFY_NAME_RE.match(name):
        raise Invalid(
            f"{shown(value)}: the name after '{transport}:' must be letters, digits, '-' or '_' "
            "(an optional leading '#'), at most 80 characters"
        )
    if problem := not_a_credential_variable(notify_credential_variable(transport, name)):
        raise Invalid(f"{shown(value)}: {problem}")
    return value


def notify_list(max_items: int) -> Check:
    """error_handling.notify: short texts, each a valid notify entry; an error names the item ([2])."""
    texts = text_list(max_items)

    def check(value: Any) -> list[str]:
        items: list[str] = texts(value)
        for index, item in enumerate(items):
            try:
                notify_entry(item.strip())
            except Invalid as error:
                raise Invalid(str(error), at=f"[{index}]") from None
        return items

    return check


# Schedules, calendars and close freezes (catalog/schedules.py).
HOLIDAYS_MAX = 10_000
FREEZES_MAX = 100
FREEZE_FIELDS = ("from", "to", "first_business_days", "last_business_days", "calendar", "reason")


def cron(value: Any) -> str:
    """sync.schedule: a 5-field cron expression, as cronsim reads it."""
    if not isinstance(value, str):
        raise Invalid('must be a cron expression of 5 fields in quotes, e.g. "0 6 * * 1-5"')
    try:
        return schedules.check_cron(_printable(value, 100))
    except schedules.ScheduleError as error:
        raise Invalid(str(error)) from None


def workaround_every(value: Any) -> str:
    """workaround.every: weekly, monthly or a 5-field cron expression (catalog/workarounds/cadence.py)."""
    if not isinstance(value, str):
        raise Invalid('must be weekly, monthly or a cron expression of 5 fields in quotes, e.g. "0 9 * * 2"')
    try:
        return check_every(_printable(value, 100))
    except schedules.ScheduleError as error:
        raise Invalid(str(error)) from None


def timezone(value: Any) -> str:
    """An IANA time zone name (Europe/Berlin, UTC)."""
    if not isinstance(value, str):
        raise Invalid("must be an IANA time zone name such as Europe/Berlin")
    try:
        schedules.zone(_printable(value, 64))
    except schedules.ScheduleError as error:
        raise Invalid(str(error)) from None
    return value


def weekdays(value: Any) -> list[str]:
    """A calendar's working_days: weekday names (mon..sun), none twice, in week order."""
    if not isinstance(value, list) or not value:
        raise Invalid(f"must be a list of weekdays ({', '.join(schedules.WEEKDAYS)})")
    for index, item in enumerate(value):
        if not isinstance(item, str) or item.lower() not in schedules.WEEKDAYS:
            raise Invalid(f"item {index + 1} ({shown(item)}) must be one of {', '.join(schedules.WEEKDAYS)}")
    names = {item.lower() for item in value}
    if len(names) != len(value):
        raise Invalid("lists a weekday twice")
    return [day for day in schedules.WEEKDAYS if day in names]


def date_list(value: Any) -> list[str]:
    """A calendar's holidays: dates, none twice, sorted; as ISO text, what a JSON column holds."""
    if not isinstance(value, list):
        raise Invalid("must be a list of dates (YYYY-MM-DD)")
    if len(value) > HOLIDAYS_MAX:
        raise Invalid(f"must list at most {HOLIDAYS_MAX:,} dates")
    days: list[dt.date] = []
    for index, item in enumerate(value):
        try:
            days.append(date(item))
        except Invalid as error:
            raise Invalid(str(error), at=f"[{index}]") from None
    if len(set(days)) != len(days):
        raise Invalid("lists a date twice")
    return sorted(day.isoformat() for day in days)


def freezes(value: Any) -> list[dict[str, Any]]:
    """freeze on a System or Integration: periods with `from` and `to` dates, or
    `first_business_days` / `last_business_days` of each month (with an optional `calendar` key);
    each with an optional `reason`. Dates as ISO text, what a JSON column holds."""
    if not isinstance(value, list):
        raise Invalid("must be a list of periods (from/to dates, or first_business_days/last_business_days)")
    if len(value) > FREEZES_MAX:
        raise Invalid(f"must list at most {FREEZES_MAX} periods")
    return [_freeze(item, f"[{index}]") for index, item in enumerate(value)]


def _freeze(item: Any, at: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Invalid("must be a mapping: from and to, or first_business_days / last_business_days", at=at)
    for name in item:
        if name not in FREEZE_FIELDS:
            raise Invalid(f"unknown field (known: {', '.join(FREEZE_FIELDS)})", at=f"{at}.{str(name)[:100]}")
    clean: dict[str, Any] = {}
    dated = "from" in item or "to" in item
    for name in ("from", "to"):
        if dated:
            if item.get(name) is None:
                raise Invalid("is required with a dated freeze (from and to)", at=f"{at}.{name}")
            try:
                clean[name] = date(item[name]).isoformat()
            except Invalid as error:
                raise Invalid(str(error), at=f"{at}.{name}") from None
    for name in ("first_business_days", "last_business_days"):
        if item.get(name) is not None:
            if dated:
                raise Invalid("give from/to or business days, not both", at=f"{at}.{name}")
            try:
                clean[name] = integer(1)(item[name])
            except Invalid as error:
                raise Invalid(str(error), at=f"{at}.{name}") from None
            if clean[name] > 23:
                raise Invalid("must be at most 23 (the business days a month can have)", at=f"{at}.{name}")
    if dated and clean["to"] < clean["from"]:
        raise Invalid(f"must not be before from ({clean['from']})", at=f"{at}.to")
    if not dated and not clean:
        raise Invalid("needs from and to, or first_business_days / last_business_days", at=at)
    if item.get("calendar") is not None:
        if dated:
            raise Invalid("is only read with business days", at=f"{at}.calendar")
        try:
            clean["calendar"] = key(item["calendar"])
        except Invalid as error:
            raise Invalid(str(error), at=f"{at}.calendar") from None
    if item.get("reason") is not None:
        try:
            clean["reason"] = text(200)(item["reason"])
        except Invalid as error:
            raise Invalid(str(error), at=f"{at}.reason") from None
    return clean
