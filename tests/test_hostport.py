"""Every HOST:PORT flag reads the same forms and fails with the same message."""

from __future__ import annotations

import argparse

import pytest

from gateways.hostport import parse_host_port
from gateways.ivr.options import parse_agi_address


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:0", ("127.0.0.1", 0)),
    ("smsc.example:2775", ("smsc.example", 2775)),
    ("[::1]:8080", ("::1", 8080)),
])
def test_accepted_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_host_port(text) == expected


@pytest.mark.parametrize("bad", ["8080", ":80", "host:http", "h:70000", "[::1]x", "[::1]:", "h:١٢"])
def test_refused_forms_say_what_was_expected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"expected HOST:PORT \(e\.g\. 127\.0\.0\.1:8080\), got"):
        parse_host_port(bad)


def test_defaults_fill_a_missing_half() -> None:
    assert parse_agi_address(":5000") == ("127.0.0.1", 5000)
    assert parse_agi_address("pbx") == ("pbx", 4573)
    assert parse_agi_address("[::1]") == ("::1", 4573)


def test_argparse_shows_the_message() -> None:
    p = argparse.ArgumentParser(exit_on_error=False)
    p.add_argument("--listen", type=parse_host_port)
    with pytest.raises(argparse.ArgumentError, match="expected HOST:PORT"):
        p.parse_args(["--listen", "nowhere"])
