"""engine/msisdn.py at its limits (8 and 15 digits), and normalising as a fixed point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.msisdn import normalise_msisdn


@pytest.mark.parametrize(("raw", "expected"), [
    # E.164 allows at most 15 digits; we accept 8 and up.
    ("+12345678", "12345678"),
    ("+1234567", None),
    ("+123456789012345", "123456789012345"),
    ("+1234567890123456", None),
    ("00123456789012345", "123456789012345"),
    ("001234567890123456", None),
    # National digits get the country code, and the limits count the result.
    ("123456", "86123456"),
    ("12345", None),
    ("0123456", "86123456"),
    ("1234567890123", "861234567890123"),
    ("12345678901234", None),
])
def test_length_limits(raw: str, expected: str | None) -> None:
    assert normalise_msisdn(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    # Starts with 86 and is long enough (8 digits after the code): already international.
    ("8613800138", "8613800138"),
    # One digit short of that: a national number that happens to start with 86.
    ("861380013", "86861380013"),
    ("8612345", "868612345"),
])
def test_country_code_prefix_needs_eight_more_digits(raw: str, expected: str) -> None:
    assert normalise_msisdn(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("tel:+8613800138000;ext=123", "8613800138000"),
    ("tel:+8613800138000;ext=1;phone-context=+86", "8613800138000"),
    ("TEL:13800138000", "8613800138000"),
    ("SIP:+447700900123@host", "447700900123"),
    # Only the part before the first '@' is the number.
    ("sip:13800138000@pbx@example", "8613800138000"),
    ("sip:13800138000;user=phone@pbx", "8613800138000"),
    ("  +86 (138) 0013-8000.  ", "8613800138000"),
])
def test_uris_and_junk(raw: str, expected: str) -> None:
    assert normalise_msisdn(raw) == expected


def test_forced_international_strips_only_plus_signs() -> None:
    assert normalise_msisdn("++8613800138000", international=True) == "8613800138000"
    assert normalise_msisdn("X8613800138000", international=True) is None


def test_country_code_parameter_is_used() -> None:
    assert normalise_msisdn("07700900123", "44") == "447700900123"
    assert normalise_msisdn("447700900123", "44") == "447700900123"


phones = st.one_of(
    st.text(alphabet="0123456789+ -().;@tel:sip", max_size=24),
    st.from_regex(r"(\+|00|0)?[1-9][0-9]{5,15}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(phones, st.sampled_from(["86", "44", "1"]))
def test_normalising_twice_gives_the_same_result(raw: str, cc: str) -> None:
    once = normalise_msisdn(raw, cc)
    if once is None:
        return
    assert once.isdigit() and 8 <= len(once) <= 15
    # Our output is international digits: read as such it stays put...
    assert normalise_msisdn(once, cc, international=True) == once
    assert normalise_msisdn("+" + once, cc) == once
    # ...and read plainly it stays put whenever it carries this country's code.
    if once.startswith(cc) and len(once) >= 8 + len(cc):
        assert normalise_msisdn(once, cc) == once
