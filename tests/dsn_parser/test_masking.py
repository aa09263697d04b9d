"""The masking policy of personal values, and its Python and Polars forms agreeing."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_parser.masking import mask_account, mask_account_expr, mask_personal, mask_personal_expr


def _masked(expr: Callable[[pl.Expr], pl.Expr], values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"value": values}, schema={"value": pl.String})
    return frame.select(expr(pl.col("value")))["value"].to_list()


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("1850575123456", "1************"),
        ("DURAND", "D*****"),
        ("é", "é"),
        ("", ""),
    ],
)
def test_a_personal_value_keeps_its_first_character_and_its_length(value: str, masked: str) -> None:
    assert mask_personal(value) == masked
    assert _masked(mask_personal_expr, [value]) == [masked]


@pytest.mark.parametrize(
    ("account", "masked"),
    [
        ("FR7630001007941234567890185", "FR76…0185"),  # an IBAN: country, check digits, end
        ("FR76 3000 1007 9412 3456 7890 185", "FR76…0185"),  # blanks are not characters
        ("10278 02204 00012345603", "1027…5603"),  # CFONB bank, branch and account
        ("NO9386011117947", "NO93…7947"),  # the shortest IBAN still hides seven characters
        ("01234567890", "…7890"),  # a French account number: its end only
        ("0123456789", "****"),
        ("", "****"),
    ],
)
def test_an_account_shows_at_most_its_ends_and_hides_seven_characters(
    account: str, masked: str
) -> None:
    assert mask_account(account) == masked
    assert _masked(mask_account_expr, [account]) == [masked]


def test_the_expressions_keep_nulls() -> None:
    assert _masked(mask_personal_expr, [None]) == [None]
    assert _masked(mask_account_expr, [None]) == [None]


_VALUES = st.text(st.characters(codec="latin-1"), max_size=120)


@given(st.lists(_VALUES, max_size=20))
def test_python_and_polars_masks_agree(values: list[str]) -> None:
    assert _masked(mask_personal_expr, list(values)) == [mask_personal(v) for v in values]
    assert _masked(mask_account_expr, list(values)) == [mask_account(v) for v in values]


@given(_VALUES)
def test_a_masked_value_gives_little_away(value: str) -> None:
    assert len(mask_personal(value)) == len(value)
    assert mask_personal(value)[1:] == "*" * (len(value) - 1)
    masked = mask_account(value)
    shown = len(masked) - 1 if "…" in masked else 0  # Latin-1 has no "…": it is the mask's
    assert shown == 0 or len(value.replace(" ", "")) - shown >= 7
