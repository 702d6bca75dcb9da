"""``--ussd-smpp*`` flags and UssdSmppOptions validation (gateways/ussd/smpp_options.py)."""

from __future__ import annotations

import argparse

import pytest

from gateways.ussd.smpp_options import (
    PASSWORD_ENV,
    UssdSmppOptions,
    add_ussd_smpp_arguments,
    ussd_smpp_options_from_args,
)


def parse(*argv: str) -> UssdSmppOptions | None:
    parser = argparse.ArgumentParser()
    add_ussd_smpp_arguments(parser)
    return ussd_smpp_options_from_args(parser.parse_args(list(argv)))


def test_off_by_default() -> None:
    assert parse() is None


def test_dedicated_bind_with_vendor_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    o = parse("--ussd-smpp", "10.0.0.5:2776", "--ussd-smpp-system-id", "ussd",
              "--ussd-smpp-session-id", "user_message_reference", "--ussd-smpp-op-end", "0x17",
              "--ussd-smpp-op-release", "0x81,0x20", "--ussd-smpp-no-end-bit",
              "--ussd-smpp-code-field", "destination_addr", "--ussd-smpp-gsm7-dc", "15")
    assert o is not None
    assert (o.host, o.port, o.system_id, o.password) == ("10.0.0.5", 2776, "ussd", "s3cret")
    assert (o.session_id, o.op_end, o.op_release, o.end_bit) == (
        "user_message_reference", 0x17, (0x81, 0x20), False,
    )
    assert (o.code_field, o.gsm7_data_coding, o.op_begin, o.op_input, o.op_continue) == (
        "destination_addr", 15, 1, 18, 2,
    )
    bind = o.bind_options()
    assert (bind.host, bind.port, bind.bind_mode, bind.registered_delivery) == ("10.0.0.5", 2776, "trx", 0)


def test_same_bind_and_shared_ussd_flags() -> None:
    parser = argparse.ArgumentParser()
    add_ussd_smpp_arguments(parser)
    parser.add_argument("--ussd-budget", type=float, default=3.0)
    args = parser.parse_args(["--ussd-smpp-same-bind", "--ussd-budget", "1.5"])
    o = ussd_smpp_options_from_args(args)
    assert o is not None and o.same_bind and o.host is None and o.budget == 1.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"op_input": 1}, "overlap"),
        ({"op_release": (18,)}, "overlap"),
        ({"op_end": 256}, "op_end"),
        ({"budget": 0}, "budget"),
        ({"session_id": "cookie"}, "session_id"),
        ({"host": "h", "same_bind": True}, "either"),
    ],
)
def test_bad_options_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UssdSmppOptions(**kwargs)  # type: ignore[arg-type]


def test_bad_op_flag_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        parse("--ussd-smpp", "h:1", "--ussd-smpp-op-end", "seventeen")
