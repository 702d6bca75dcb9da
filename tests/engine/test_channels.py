"""Channel limits, each at its exact value and one past it, and USSD pagination cut for cut.

The numbers are the operator's: an SMS is 160 GSM-7 / 70 UCS2 units, a part of a
concatenated one 153 / 67, a USSD page 182 GSM-7 / 80 UCS2 less our 2-unit margin
(180 / 78). A wrong boundary costs an extra SMS or a truncated screen, so every
boundary has a case on each side.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flow.channels import (
    GSM7_EXT,
    PROFILES,
    fits_ussd_page,
    gsm7_length,
    is_gsm7,
    measure,
    paginate,
    sms_encoding,
    sms_segments,
    ucs2_length,
    ussd_length,
    ussd_units,
)

MORE, BACK = "98 更多", "0 返回"
EMOJI = "😀"  # outside the BMP: two UTF-16 units


def units(page: str) -> tuple[int, int]:
    """(length, limit) of a page in the units of the encoding it needs."""
    return ussd_units(page)


# -- lengths ----------------------------------------------------------------------


def test_lengths_count_escapes_and_surrogates() -> None:
    assert gsm7_length("a€[") == 5 and gsm7_length("") == 0
    assert ucs2_length("中" + EMOJI) == 3
    assert ucs2_length("\uffff\U00010000") == 3  # the last BMP code point is one unit, the first past it two
    assert sms_segments("\U00010000" * 35) == ("ucs2", 1) and sms_segments("\uffff" * 70) == ("ucs2", 1)
    assert sms_segments("中" * 66 + "\U00010000" + "中" * 66) == ("ucs2", 3)
    assert sms_segments("中" * 66 + "\uffff" + "中" * 67) == ("ucs2", 2)
    assert is_gsm7("Hello @£$ €") and not is_gsm7("你好") and not is_gsm7("a😀")
    assert sms_encoding("abc") == "gsm7" and sms_encoding("abç") == "ucs2"
    assert measure("a€中") == (4, 3, False) and measure("a€") == (3, 2, True)
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXT


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 160, ("gsm7", 1)),
    ("a" * 161, ("gsm7", 2)),
    ("a" * 306, ("gsm7", 2)),  # two full parts of 153
    ("a" * 307, ("gsm7", 3)),
    ("€" * 80, ("gsm7", 1)),  # 160 septets
    ("€" * 80 + "a", ("gsm7", 2)),
    ("中" * 70, ("ucs2", 1)),
    ("中" * 71, ("ucs2", 2)),
    ("中" * 134, ("ucs2", 2)),  # two full parts of 67
    ("中" * 135, ("ucs2", 3)),
    (EMOJI * 35, ("ucs2", 1)),  # 70 units
    (EMOJI * 35 + "中", ("ucs2", 2)),
    # an escape pair or a surrogate pair never straddles two parts: the part ends one unit early
    ("a" * 152 + "€" + "a" * 152, ("gsm7", 3)),
    ("中" * 66 + EMOJI + "中" * 66, ("ucs2", 3)),
    ("a" * 151 + "€" + "a" * 153, ("gsm7", 2)),
    ("中" * 65 + EMOJI + "中" * 67, ("ucs2", 2)),
])
def test_sms_segments_at_and_past_each_limit(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected


@pytest.mark.parametrize(("text", "fits"), [
    ("a" * 180, True), ("a" * 181, False),
    ("€" * 90, True), ("€" * 90 + "a", False),
    ("中" * 78, True), ("中" * 79, False),
    (EMOJI * 39, True), (EMOJI * 39 + "中", False),
    ("a" * 77 + "中", True), ("a" * 78 + "中", False),  # one UCS2 character makes the whole page UCS2
])
def test_ussd_page_is_180_gsm7_or_78_ucs2_units(text: str, fits: bool) -> None:
    assert fits_ussd_page(text) is fits


def test_ussd_length_names_encoding_units_and_limit() -> None:
    assert ussd_length("a€") == ("gsm7", 3, 180)
    assert ussd_length("中😀") == ("ucs2", 3, 78)
    assert ussd_units("a" * 200) == (200, 180)


def test_channel_profiles() -> None:
    assert {n: (p.max_ivr_options, p.max_sms_segments, p.session_ttl) for n, p in PROFILES.items()} == {
        "sms": (5, 3, 600.0), "ussd": (5, 3, 180.0), "ivr": (5, 3, 600.0)}
    assert PROFILES["ussd"].name == "ussd"


# -- pagination ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a" * 180, "€" * 90, "中" * 78, EMOJI * 39, "中" * 39, "x"])
def test_a_text_that_fills_one_page_exactly_is_one_page(text: str) -> None:
    assert paginate(text, MORE, BACK) == (text,)


@pytest.mark.parametrize(("text", "more", "back"), [
    ("a" * 181, "98 More", "0 Back"),
    ("中" * 79, MORE, BACK),
    ("中" * 40 + "\n" + "中" * 38, MORE, BACK),
])
def test_one_unit_past_a_page_makes_two(text: str, more: str, back: str) -> None:
    pages = paginate(text, more, back)
    assert len(pages) == 2
    assert pages[0].endswith("\n" + more) and pages[1].endswith("\n" + back)
    assert all(units(p)[0] <= units(p)[1] for p in pages)


def test_pages_are_cut_on_lines_and_filled_to_exactly_the_limit() -> None:
    # first page: 4 lines of 43 + "\n98 更多"... in UCS2 the footer makes the page UCS2: use GSM-7 footers
    more, back = "98 More", "0 Back"
    line = "x" * 42
    text = "\n".join([line] * 6)
    pages = paginate(text, more, back)
    # 3 lines (3*42+2) + "\n98 More" (8) = 136; a 4th line would make 179 <= 180: it fits, a 5th does not
    first = pages[0].split("\n")
    assert first == [line] * 4 + [more] and len(pages[0]) == 179
    assert pages[1].split("\n") == [line, line, back]


def test_a_page_filled_to_exactly_the_limit_with_its_footer_keeps_its_line() -> None:
    more, back = "98 More", "0 Back"
    # 100 + 1 + 71 + len("\n98 More") = 180: the second line still fits on the first page
    a, b, c = "a" * 100, "b" * 71, "c" * 10
    assert paginate("\n".join([a, b, c]), more, back) == (a + "\n" + b + "\n" + more, c + "\n" + back)
    b = "b" * 72  # one past: it moves to the next page
    assert paginate("\n".join([a, b, c]), more, back) == (a + "\n" + more, b + "\n" + c + "\n" + back)


def test_a_line_too_long_for_a_page_is_cut_to_fit_beside_both_footers() -> None:
    more, back = "98 More", "0 Back"
    # pieces fit beside both footers (180 - len("\n98 More\n0 Back") = 165), on whichever page they land
    pages = paginate("y" * 173 + "\n" + "z" * 20, more, back)
    assert pages == ("y" * 165 + "\n" + more, "y" * 8 + "\n" + "z" * 20 + "\n" + back)


def test_a_line_longer_than_a_page_is_cut_by_characters_never_dropped() -> None:
    more, back = "98 More", "0 Back"
    line = "".join(str(i % 10) for i in range(500))  # one 500-character line, no newline to cut on
    pages = paginate(line, more, back)
    # pieces fit beside both footers: 180 - len("\n98 More\n0 Back") = 165
    assert pages == (line[:165] + "\n" + more, line[165:330] + "\n" + more + "\n" + back,
                     line[330:495] + "\n" + more + "\n" + back, line[495:] + "\n" + back)
    assert "".join(p.split("\n")[0] for p in pages) == line  # joined back, nothing lost


def test_a_long_chinese_line_is_cut_into_full_pages() -> None:
    line = "".join(chr(0x4E00 + i) for i in range(200))
    pages = paginate(line, MORE, BACK)
    bodies = [p.rsplit("\n", 2)[0] if i else p.split("\n")[0] for i, p in enumerate(pages)]
    assert "".join(b.split("\n")[0] for b in bodies) == line
    # every page but the last is full: 78 units with "\n98 更多\n0 返回" (1+5+1+4 = 11) leaves 67
    assert [len(b.split("\n")[0]) for b in bodies] == [67, 67, 66]
    assert pages[0] == line[:67] + "\n" + MORE
    assert pages[1] == line[67:134] + "\n" + MORE + "\n" + BACK
    assert pages[2] == line[134:] + "\n" + BACK


@pytest.mark.parametrize(("line", "piece"), [
    ("€" * 200, "€" * 82),  # two septets each: 165 // 2 beside GSM-7 footers
    ("中" * 200, "中" * 63),  # UCS2 text beside GSM-7 footers: the page is UCS2, 78 - 15 units
    ("\uffff" * 200, "\uffff" * 63),  # the last BMP code point is one unit
    (EMOJI * 100, EMOJI * 31),  # two units each
    ("\U00010000" * 100, "\U00010000" * 31),
])
def test_a_long_line_is_cut_in_the_units_of_its_own_encoding(line: str, piece: str) -> None:
    more, back = "98 More", "0 Back"
    pages = paginate(line, more, back)
    assert pages[0] == piece + "\n" + more
    assert "".join(p.split("\n")[0] for p in pages) == line
    assert all(units(p)[0] <= units(p)[1] for p in pages)


def test_a_character_wider_than_the_page_still_moves_on() -> None:
    """A footer so long that no character fits beside it: each character gets its own page, none is lost."""
    more = "m" * 200
    pages = paginate("abc" * 70, more, "b")
    assert "".join(p.split("\n")[0] for p in pages) == "abc" * 70
    assert all(p.split("\n")[0] for p in pages)  # no empty piece before the first character


def test_first_page_gets_only_more_last_only_back() -> None:
    lines = [f"{i}. 第{i}项业务的名称比较长" for i in range(1, 16)]
    pages = paginate("\n".join(lines), MORE, BACK)
    assert len(pages) >= 3
    assert pages[0].endswith("\n" + MORE) and BACK not in pages[0]
    assert all(p.endswith("\n" + MORE + "\n" + BACK) for p in pages[1:-1])
    assert pages[-1].endswith("\n" + BACK) and MORE not in pages[-1]
    body = [ln for p in pages for ln in p.split("\n") if ln not in (MORE, BACK)]
    assert body == lines


def test_pagination_is_cached_per_text() -> None:
    text = "中" * 100
    assert paginate(text, MORE, BACK) is paginate(text, MORE, BACK)


# -- properties ---------------------------------------------------------------------

GSM_CHARS = st.sampled_from(list("abcXYZ0129 .,:-€[]{}\n"))
ANY_CHARS = st.sampled_from(list("abc 019.\n中文业务€[😀ç"))
FOOTERS = st.sampled_from([("98 更多", "0 返回"), ("98 More", "0 Back"), ("9 >", "0 <")])


def _bodies(pages: tuple[str, ...], more: str, back: str) -> list[str]:
    out = []
    for i, page in enumerate(pages):
        lines = page.split("\n")
        if i > 0:
            assert lines.pop() == back
        if i < len(pages) - 1:
            assert lines.pop() == more
        out.append("\n".join(lines))
    return out


@settings(max_examples=100, deadline=None)
@given(st.text(GSM_CHARS, max_size=700) | st.text(ANY_CHARS, max_size=400), FOOTERS)
def test_pages_joined_back_lose_nothing_and_each_fits(text: str, footers: tuple[str, str]) -> None:
    more, back = footers
    pages = paginate(text, more, back)
    bodies = _bodies(pages, more, back)
    assert "".join(bodies).replace("\n", "") == text.replace("\n", "")
    for page in pages:
        n, limit = units(page)
        assert n <= limit, (page, n, limit)
    if len(pages) == 1:
        assert pages[0] == text
