"""Money and dates the French way, for what people read (the portal preview, the command line):
Babel's CLDR data rather than hand-written f-strings (narrow no-break spaces, decimal comma)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

LOCALE = "fr_FR"


def money(amount: Decimal | float | int | None) -> str:
    """`2 541,47 €`; an unknown amount is an em dash."""
    return "—" if amount is None else format_currency(amount, "EUR", locale=LOCALE)


def day(value: date | None) -> str:
    """`15/01/2026`; an unknown date is an em dash."""
    return "—" if value is None else format_date(value, "dd/MM/y", locale=LOCALE)


def month(value: date | None) -> str:
    """`janvier 2026`."""
    return "—" if value is None else format_date(value, "MMMM y", locale=LOCALE)
