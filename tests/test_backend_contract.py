"""One contract, two transports: every test runs on DemoBackend in-process and on
HttpBackend talking over loopback to the reference server wrapping a DemoBackend."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.backend.demo_seed import month_of, previous_month
from engine.backend.http import HttpBackend
from engine.clock import ManualClock
from engine.ports.backend import (
    AuthLevel,
    Backend,
    BackendTimeout,
    BackendUnavailable,
    BusinessError,
    CallContext,
)
from simulator.backend_server import serve_backend

ZHANG, ALICE, LINA = "8613800138000", "8613900139000", "8613700137000"


@dataclass
class Harness:
    backend: Backend
    demo: DemoBackend
    clock: ManualClock

    async def call(self, op: str, msisdn: str = ZHANG, /, *, lang: str = "zh", key: str = "",
                   auth: AuthLevel = "none", **params: Any) -> Any:
        """Positional op/msisdn and keyword lang/key/auth, so any param name stays free."""
        extra = {"idempotency_key": key} if key else {}
        ctx = CallContext(msisdn=msisdn, channel="ussd", session_id="s-1", locale=lang, extra=extra, auth=auth)
        return await self.backend.call(op, params, ctx)

    async def fails(self, expected: str, op: str, msisdn: str = ZHANG, /, **params: Any) -> BusinessError:
        with pytest.raises(BusinessError) as info:
            await self.call(op, msisdn, **params)
        assert info.value.code == expected
        return info.value


#: The demo's marketing extras on business results: the receipt's order number and e-points.
EXTRAS = frozenset({"order", "epoints", "epoints_reason", "epoints_month"})


def core(result: dict[str, Any]) -> dict[str, Any]:
    """A result without the marketing extras, for exact comparisons of the documented fields."""
    return {k: v for k, v in result.items() if k not in EXTRAS}


@pytest.fixture(params=["demo", "http"])
async def h(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    clock = ManualClock()
    demo = DemoBackend(clock=clock)
    if request.param == "demo":
        yield Harness(demo, demo, clock)
    else:
        async with serve_backend(demo) as url:
            backend = HttpBackend(url, OPERATIONS.values())
            yield Harness(backend, demo, clock)
            await backend.close()
    await demo.close()


async def test_declares_the_catalogue(h: Harness) -> None:
    ops = h.backend.operations()
    assert set(ops) == set(OPERATIONS)
    assert ops["topup"].paid and not ops["topup"].idempotent
    assert ops["subscribe"].paid and ops["subscribe"].idempotent
    assert ops["verify_password"].secret_params == ("password",)
    assert ops["request_reset_code"].secret_results == ("code",)


async def test_profile_in_both_languages(h: Harness) -> None:
    zh = await h.call("profile")
    assert zh["name"] == "张伟" and zh["locale"] == "zh" and zh["plan"] == "畅享套餐 58元"
    assert zh["balance"] == "50.00"
    en = await h.call("profile", ALICE, lang="en")
    got = (en["name"], en["locale"], en["plan"], en["balance"])
    assert got == ("Alice Smith", "en", "GoTone 38 CNY", "120.50")


async def test_balance(h: Harness) -> None:
    assert await h.call("balance") == {"balance": "50.00", "currency": "CNY"}
    assert (await h.call("balance", ALICE))["balance"] == "120.50"
    assert (await h.call("balance", LINA))["balance"] == "0.80"


async def test_bill_defaults_to_this_month(h: Harness) -> None:
    this_month = month_of(h.clock.now())
    bill = await h.call("bill")
    assert bill["month"] == this_month and bill["total"] == "65.40"
    assert bill["items"][0] == {"name_zh": "畅享套餐 58元", "name_en": "Enjoy Plan 58 CNY", "amount": "58.00"}
    last = await h.call("bill", month=previous_month(this_month))
    assert last["month"] == previous_month(this_month) and last["total"] == "65.40"
    old = await h.call("bill", month="2020-01")
    assert old["total"] == "58.00" and len(old["items"]) == 1
    for bad in ("2099-01", "2026-13", "May"):
        await h.fails("INVALID_MONTH", "bill", month=bad)


async def test_data_usage(h: Harness) -> None:
    usage = await h.call("data_usage")
    assert usage == {"total_mb": 10240, "used_mb": 3584, "remaining_mb": 6656, "remaining_gb": "6.5"}


async def test_packages_and_subscriptions(h: Harness) -> None:
    packages = await h.call("packages")
    assert packages["count"] == 5
    assert [p["code"] for p in packages["packages"]] == ["LL5", "LL10", "VIDEO15", "LDXS", "NEWS3"]
    ldxs = packages["packages"][3]
    assert ldxs == {
        "code": "LDXS",
        "name_zh": "来电显示",
        "name_en": "Caller ID",
        "price": "5.00",
        "subscribed": True,
    }
    subs = await h.call("subscriptions")
    assert subs["count"] == 1 and subs["subscriptions"][0]["index"] == 1
    assert subs["subscriptions"][0]["code"] == "LDXS"
    assert (await h.call("subscriptions", ALICE)) == {"subscriptions": [], "count": 0}


async def test_subscribe_charges_once(h: Harness) -> None:
    first = await h.call("subscribe", code="ll5")
    assert first["code"] == "LL5" and first["price"] == "5.00" and first["already"] is False
    assert first["balance"] == "45.00"
    # a purchase carries its receipt: an order number and the day it takes effect
    assert re.fullmatch(r"DD\d{8}\d{6}", first["order"]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["effective"])
    again = await h.call("subscribe", code="LL5")
    assert again["already"] is True and again["balance"] == "45.00"
    assert (await h.call("balance"))["balance"] == "45.00"
    assert (await h.call("data_usage"))["total_mb"] == 10340
    subs = (await h.call("subscriptions"))["subscriptions"]
    assert [(s["index"], s["code"]) for s in subs] == [(1, "LDXS"), (2, "LL5")]
    assert (await h.call("bill"))["total"] == "70.40"


async def test_subscribe_refusals(h: Harness) -> None:
    await h.fails("UNKNOWN_PACKAGE", "subscribe", code="NOPE")
    err = await h.fails("INSUFFICIENT_BALANCE", "subscribe", LINA, code="VIDEO15")
    assert err.details == {"balance": "0.80", "price": "15.00"}
    assert (await h.call("subscriptions", LINA))["count"] == 0
    await h.fails("MISSING_PARAM", "subscribe")


async def test_unsubscribe_is_idempotent(h: Harness) -> None:
    first = await h.call("unsubscribe", code="LDXS")
    assert first["already"] is False and first["name_zh"] == "来电显示"
    assert (await h.call("unsubscribe", code="LDXS"))["already"] is True
    assert (await h.call("subscriptions"))["count"] == 0
    await h.fails("UNKNOWN_PACKAGE", "unsubscribe", code="XX")


async def test_topup_key_prevents_double_credit(h: Harness) -> None:
    first = await h.call("topup", amount="20", idempotency_key="k1")
    assert core(first) == {"amount": "20.00", "balance": "70.00"}
    assert await h.call("topup", amount="20", idempotency_key="k1") == first
    assert (await h.call("balance"))["balance"] == "70.00"
    assert (await h.call("topup", amount="20", idempotency_key="k2"))["balance"] == "90.00"
    # Without an explicit key, the same session repeating the same request is one top-up.
    assert (await h.call("topup", amount="1.50"))["balance"] == "91.50"
    assert (await h.call("topup", amount="1.50"))["balance"] == "91.50"


async def test_topup_amount_limits(h: Harness) -> None:
    for bad in ("0", "0.99", "500.01", "abc", "1.234", "-5", "NaN", "Infinity"):
        err = await h.fails("INVALID_AMOUNT", "topup", amount=bad, idempotency_key=f"bad-{bad}")
        assert err.details == {"min": "1.00", "max": "500.00"}
    assert (await h.call("topup", amount="500", idempotency_key="max"))["balance"] == "550.00"
    assert (await h.call("topup", amount=1, idempotency_key="min"))["balance"] == "551.00"


async def test_points_redeem(h: Harness) -> None:
    assert core(await h.call("points")) == {"points": 1200}
    first = await h.call("redeem_points", key="r1", item="data100")
    assert (first["item"], first["points"], first["cost"]) == ("DATA100", 700, 500)
    assert await h.call("redeem_points", key="r1", item="DATA100") == first
    assert (await h.call("redeem_points", key="r2", item="DATA100"))["points"] == 200
    assert (await h.call("data_usage"))["total_mb"] == 10440
    err = await h.fails("NOT_ENOUGH_POINTS", "redeem_points", item="DATA100")
    assert err.details == {"points": 200, "cost": 500}
    await h.fails("UNKNOWN_ITEM", "redeem_points", item="CAR")


async def test_password_locks_after_five_wrong(h: Harness) -> None:
    assert await h.call("verify_password", password="123456") == {}
    for remaining in (4, 3, 2, 1):
        err = await h.fails("WRONG_PASSWORD", "verify_password", password="000000")
        assert err.details == {"remaining": remaining}
    await h.fails("LOCKED", "verify_password", password="000000")
    err = await h.fails("LOCKED", "verify_password", password="123456")
    assert err.details["seconds_left"] == 86400
    h.clock.advance(86400 - 1)
    await h.fails("LOCKED", "verify_password", password="123456")
    h.clock.advance(2)
    assert await h.call("verify_password", password="123456") == {}


async def test_right_password_resets_the_count(h: Harness) -> None:
    await h.fails("WRONG_PASSWORD", "verify_password", password="1")
    await h.call("verify_password", password="123456")
    err = await h.fails("WRONG_PASSWORD", "verify_password", password="1")
    assert err.details == {"remaining": 4}


async def test_change_password(h: Harness) -> None:
    await h.fails("AUTH_REQUIRED", "change_password", new_password="802413")  # the level travels with the call
    for weak in ("111111", "123456", "654321", "12345", "abcdef", "1234567"):
        await h.fails("WEAK_PASSWORD", "change_password", auth="password", new_password=weak)
    await h.fails("SAME_PASSWORD", "change_password", LINA, auth="password", new_password="246810")
    assert core(await h.call("change_password", auth="password", new_password="802413")) == {}
    assert await h.call("verify_password", password="802413") == {}
    await h.fails("WRONG_PASSWORD", "verify_password", password="123456")


async def test_reset_code_expires(h: Harness) -> None:
    code = (await h.call("request_reset_code"))["code"]
    assert re.fullmatch(r"\d{6}", code)
    await h.fails("CODE_EXPIRED", "reset_password", new_password="802413")  # not before the code is checked
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    err = await h.fails("WRONG_CODE", "verify_reset_code", code=wrong)
    assert err.details == {"remaining": 4}
    assert await h.call("verify_reset_code", code=code) == {}
    await h.fails("WEAK_PASSWORD", "reset_password", new_password="000000")
    h.clock.advance(301)
    await h.fails("CODE_EXPIRED", "reset_password", key="late", new_password="802413")


async def test_reset_lifts_a_lock(h: Harness) -> None:
    for _ in range(5):
        with pytest.raises(BusinessError):
            await h.call("verify_password", password="000000")
    await h.fails("CODE_EXPIRED", "verify_reset_code", code="123456")
    code = (await h.call("request_reset_code"))["code"]
    h.clock.advance(299)
    assert await h.call("verify_reset_code", code=code) == {}
    assert core(await h.call("reset_password", new_password="802413")) == {}
    assert await h.call("verify_password", password="802413") == {}
    # A repeat of the same request is answered from the idempotency record; a new one finds the code used.
    assert core(await h.call("reset_password", new_password="802413")) == {}
    with pytest.raises(BusinessError, match="no verified reset code"):
        await h.call("reset_password", key="another", new_password="802413")


async def test_five_wrong_codes_burn_the_code(h: Harness) -> None:
    code = (await h.call("request_reset_code"))["code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for i in range(5):
        await h.fails("WRONG_CODE", "verify_reset_code", key=f"k{i}", code=wrong)
    await h.fails("CODE_EXPIRED", "verify_reset_code", key="right", code=code)


async def test_second_factor_code(h: Harness) -> None:
    """request_otp / verify_otp: the second factor after the password, for sensitive operations."""
    await h.fails("AUTH_REQUIRED", "request_otp")
    code = (await h.call("request_otp", auth="password"))["code"]
    await h.fails("WRONG_CODE", "verify_otp", auth="password", code=f"{(int(code) + 1) % 10**6:06d}")
    assert await h.call("verify_otp", auth="password", code=code) == {}
    await h.fails("CODE_EXPIRED", "verify_otp", key="again", auth="password", code=code)  # spent


async def test_set_language(h: Harness) -> None:
    assert await h.call("set_language", locale="EN") == {"locale": "en"}
    assert (await h.call("profile"))["locale"] == "en"
    await h.fails("UNSUPPORTED_LOCALE", "set_language", locale="fr")


async def test_complaint_ticket(h: Harness) -> None:
    first = await h.call("complaint", category="signal", text="no 4G at home")
    second = await h.call("complaint", ALICE, category="billing")
    assert re.fullmatch(r"TS\d{14}", first["ticket"]) and second["ticket"] != first["ticket"]
    await h.fails("MISSING_PARAM", "complaint", category=" ")


async def test_unknown_subscriber(h: Harness) -> None:
    await h.fails("UNKNOWN_SUBSCRIBER", "balance", "8613000000000")


async def test_injected_failures_reach_the_caller(h: Harness) -> None:
    h.demo.inject("balance", BusinessError("busy", code="SYSTEM_BUSY"))
    await h.fails("SYSTEM_BUSY", "balance")
    h.demo.inject("balance", BackendUnavailable("down", code="BOSS_DOWN"))
    with pytest.raises(BackendUnavailable):
        await h.call("balance")
    h.demo.inject("balance", BackendTimeout("slow"))
    with pytest.raises(BackendTimeout):
        await h.call("balance")
    h.demo.inject("balance", None)
    assert (await h.call("balance"))["balance"] == "50.00"
