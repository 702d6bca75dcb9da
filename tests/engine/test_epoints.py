"""E-points: accrual per category and channel, daily cap, no points for queries or churn, menu and events."""

from __future__ import annotations

from typing import Any

from engine.backend.demo import DemoBackend
from engine.backend.demo_points import EPointsPolicy
from engine.clock import ManualClock
from engine.ports.backend import CallContext
from tests.engine.helpers import ZH, Phone, engine_for

DAY = 86400.0


async def call(backend: DemoBackend, op: str, channel: str = "ussd", **params: Any) -> dict[str, Any]:
    return await backend.call(op, params, CallContext(ZH, channel, "s1"))


async def points(backend: DemoBackend) -> int:
    return int((await call(backend, "points"))["points"])


async def test_points_per_category_and_channel_and_none_for_queries() -> None:
    backend = DemoBackend(clock=ManualClock())
    backend.set_points_policy(EPointsPolicy(rules={"package/ussd": 10, "payment/ussd": 20}, daily_cap=100))
    assert "epoints" not in await call(backend, "balance")
    assert (await call(backend, "subscribe", code="LL5"))["epoints"] == 10
    assert (await call(backend, "topup", amount="10", idempotency_key="k1"))["epoints"] == 20
    assert (await call(backend, "topup", amount="10", idempotency_key="k1"))["epoints"] == 20  # the same one
    nothing = await call(backend, "subscribe", "ivr", code="NEWS3")
    assert (nothing["epoints"], nothing["epoints_reason"]) == (0, "no_rule")
    assert await points(backend) == 1200 + 30
    assert (await call(backend, "points"))["epoints_month"] == 30


async def test_daily_cap_in_operator_days() -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)  # default: package 10, payment 20, cap 30 a day
    assert (await call(backend, "topup", amount="5", idempotency_key="a"))["epoints"] == 20
    assert (await call(backend, "subscribe", code="LL5"))["epoints"] == 10
    capped = await call(backend, "subscribe", code="NEWS3")
    assert (capped["epoints"], capped["epoints_reason"]) == (0, "daily_cap")
    clock.advance(DAY)
    assert (await call(backend, "subscribe", code="LL10"))["epoints"] == 10


async def test_cancel_and_resubscribe_within_the_window_earn_nothing() -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.set_points_policy(EPointsPolicy(daily_cap=1000, churn_days=30))
    assert (await call(backend, "subscribe", code="LL5"))["epoints"] == 10
    clock.advance(DAY)
    gone = await call(backend, "unsubscribe", code="LL5")
    assert (gone["epoints"], gone["epoints_reason"]) == (0, "churn")
    clock.advance(DAY)
    assert (await call(backend, "subscribe", code="LL5"))["epoints_reason"] == "churn"
    assert (await call(backend, "unsubscribe", code="LDXS"))["epoints"] == 10  # held for 90 days: no churn
    clock.advance(31 * DAY)
    assert (await call(backend, "unsubscribe", code="LL5"))["epoints"] == 10


async def test_menu_shows_e_points_and_redeeming_asks_for_the_password() -> None:
    engine, _, events = engine_for("flows")
    ussd = Phone(engine, "ussd", call="u")
    await ussd.dial()
    for key in ("5", "1", "20", "123456", "是"):  # more services, top-up 20 yuan, password, confirm
        await ussd.send(key)
    assert [e.data for e in events if e.kind == "epoints"] == [{"op": "topup", "points": 20}]
    sms = Phone(engine, "sms")
    assert "您的积分为1220分（本月电子渠道奖励20分）" in (await sms.send("JF")).text
    assert "请输入6位服务密码" in (await sms.send("1")).text
    assert "确认使用500积分兑换100MB流量" in (await sms.send("123456")).text
    assert "剩余积分720分" in (await sms.send("是")).text
