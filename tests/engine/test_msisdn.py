"""Every channel reports a subscriber the same way."""

from __future__ import annotations

import pytest

from engine.msisdn import normalise_msisdn


@pytest.mark.parametrize(("raw", "expected"), [
    ("+8613800138000", "8613800138000"),
    ("008613800138000", "8613800138000"),
    ("8613800138000", "8613800138000"),
    ("13800138000", "8613800138000"),
    ("013800138000", "8613800138000"),
    ("138 0013 8000", "8613800138000"),
    ("tel:+8613800138000", "8613800138000"),
    ("sip:13800138000@pbx.example;user=phone", "8613800138000"),
    ("sip:13800138000@10.0.0.1", "8613800138000"),
    ("tel:+44 7700 900123", "447700900123"),
    ("+447700900123", "447700900123"),
    ("anonymous", None),
    ("", None),
    ("12", None),
    ("+86１３８", None),
])
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise_msisdn(raw) == expected


def test_type_of_number_forces_the_reading() -> None:
    assert normalise_msisdn("8613800138000", international=True) == "8613800138000"
    assert normalise_msisdn("8613800138", national=True) == "868613800138"
    assert normalise_msisdn("7700900123", "44") == "447700900123"


def test_no_country_code_keeps_the_digits() -> None:
    assert normalise_msisdn("013800138000", "") == "013800138000"
    assert normalise_msisdn("+86 138 0013 8000", "", national=True) == "8613800138000"
