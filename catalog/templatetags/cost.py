"""Money and hours as the cost figures show them: `{{ amount|money }}` ("USD 1,250"), and
`{{ hours|hours_cost }}` (the hours at PLUMBLINE_HOURLY_RATE in money, or "12.5 h" without a rate)."""

from __future__ import annotations

from django import template

from catalog.cost import currency, in_money

register = template.Library()


@register.filter
def money(amount: float | None) -> str:
    if amount is None:
        return "–"
    return f"{currency()} {amount:,.0f}"


@register.filter
def hours(value: float | None) -> str:
    """Hours as logged: 1.75 h, 29.5 h, 12 h (at most two decimals, none trailing)."""
    if value is None:
        return "–"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + " h"


@register.filter
def hours_cost(value: float | None) -> str:
    """Money when a rate is set, hours (to a tenth) otherwise; "–" for unknown hours."""
    if value is None:
        return "–"
    priced = in_money(value)
    if priced is not None:
        return money(priced)
    return f"{value:,.1f} h".replace(".0 h", " h")
