"""SMS campaigns against real SMPP peers: our SMSC simulator and the npm ``smpp`` server."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest
from smpp_helpers import CREDENTIALS, fast_options

from app.campaign.runner import CampaignRunner, quiet_for
from app.campaign.spec import Campaign, CampaignError, load
from app.campaign.store import CampaignStore
from app.cli import main
from engine.run.build import build_engine
from simulator.smsc import SmscSimulator
from simulator.smsc_npm import NpmSmsc

PEOPLE = [("8613800138000", "张伟"), ("8613900139000", "Alice"), ("8613700137000", "李娜")]
#: 2026-12-01 10:00 in China (UTC+8).
MORNING = 1_796_090_400.0


def write_campaign(tmp: Path, name: str = "promo", people: list[tuple[str, str]] = PEOPLE, **extra: str) -> Path:
    (tmp / "audience.csv").write_text("msisdn,name\n" + "".join(f"{m},{n}\n" for m, n in people), encoding="utf-8")
    lines = [f"campaign: {name}", "audience: audience.csv",
             'message: "{{ name }}您好，10元300MB流量包限时优惠，回复KT开通，回复TD退订。"',
             "convert: [KT]", "convert_reply: 已为您登记开通。", "receipt_wait: 5",
             *(f"{k}: {v}" for k, v in extra.items())]
    path = tmp / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def runner(path: Path, port: int, tps: float = 0, **kw: object) -> CampaignRunner:
    campaign = load(path)
    store = CampaignStore(campaign.state_path, campaign.spec.campaign)
    return CampaignRunner(campaign, store, fast_options(port, tps=tps), **kw)  # type: ignore[arg-type]


async def test_sends_personalised_messages_and_counts_receipts(tmp_path: Path) -> None:
    async with SmscSimulator(credentials=CREDENTIALS, receipts=True) as smsc:
        seen: list[tuple[int, int, Counter[str]]] = []
        counts = await runner(write_campaign(tmp_path), smsc.port,
                              on_progress=lambda d, t, c: seen.append((d, t, c))).run()
    assert sorted(m.destination for m in smsc.records.messages) == sorted(m for m, _ in PEOPLE)
    assert smsc.records.messages[0].text == "张伟您好，10元300MB流量包限时优惠，回复KT开通，回复TD退订。"
    assert counts["delivered"] == 3 and counts["failed"] == 0
    assert [d for d, _, _ in seen] == [1, 2, 3] and seen[-1][1] == 3


async def test_tps_limit_spaces_the_submits(tmp_path: Path) -> None:
    people = [(f"86138000{n:05d}", "x") for n in range(21)]
    stamps: list[float] = []
    async with SmscSimulator(credentials=CREDENTIALS) as smsc:
        smsc.on_message = lambda m: stamps.append(time.monotonic())
        r = runner(write_campaign(tmp_path, people=people, receipt_wait="0"), smsc.port, tps=20)
        await r.run()
    # 21 messages at 20/s with a burst of 2: at least 19 waits of 1/20 s between the first and the last
    assert len(stamps) == 21 and stamps[-1] - stamps[0] >= 0.9


async def test_quiet_hours_wait_until_they_end(tmp_path: Path) -> None:
    clock = [MORNING - 3 * 3600]  # 07:00 China time, inside 21:00-08:00
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    path = write_campaign(tmp_path, quiet_hours='"21:00-08:00"', receipt_wait="0")
    assert quiet_for(load(path), MORNING) == 0 and quiet_for(load(path), MORNING + 12 * 3600) == 3600 * 10
    async with SmscSimulator(credentials=CREDENTIALS) as smsc:
        counts = await runner(path, smsc.port, now=lambda: clock[0], sleep=sleep).run()
    assert waits == [3600.0] and counts["sent"] == 3


async def test_opt_out_is_remembered_across_campaigns_and_conversions_counted(tmp_path: Path) -> None:
    async with SmscSimulator(credentials=CREDENTIALS) as smsc:
        task = asyncio.create_task(runner(write_campaign(tmp_path), smsc.port).run())
        await smsc.wait_messages(3)
        await smsc.deliver(PEOPLE[1][0], "10086", "td")
        await smsc.deliver(PEOPLE[0][0], "10086", "ＫＴ")  # full-width, as some handsets send it
        replies = await smsc.wait_messages(5)
        counts = await task
        assert {(m.destination, m.text) for m in replies[3:]} == {
            (PEOPLE[1][0], "您已退订营销短信，我们将不再向您发送。"), (PEOPLE[0][0], "已为您登记开通。")}
        assert (counts["replied"], counts["converted"], counts["opt_outs"]) == (2, 1, 1)
        again = await runner(write_campaign(tmp_path, name="reminder", receipt_wait="0"), smsc.port).run()
    assert again["opted_out"] == 1 and again["sent"] == 2
    assert Counter(m.destination for m in smsc.records.messages[5:]) == {PEOPLE[0][0]: 1, PEOPLE[2][0]: 1}


async def test_resume_after_an_interruption_sends_nobody_twice(tmp_path: Path) -> None:
    people = [(f"86139000{n:05d}", "x") for n in range(40)]
    path = write_campaign(tmp_path, people=people, receipt_wait="0")
    async with SmscSimulator(credentials=CREDENTIALS) as smsc:
        task = asyncio.create_task(runner(path, smsc.port, tps=100).run())
        await smsc.wait_messages(10)
        task.cancel()  # Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await task
        first = len(smsc.records.messages)
        assert first < 40
        # a process killed outright leaves rows 'queued': resumed, they are uncertain and never sent
        campaign = load(path)
        CampaignStore(campaign.state_path, "promo").mark("8613900000039", "queued", 0.0)
        counts = await runner(path, smsc.port, tps=100).run()
    per_msisdn = Counter(m.destination for m in smsc.records.messages)
    assert max(per_msisdn.values()) == 1
    assert counts["uncertain"] + counts["sent"] == 40 and counts["uncertain"] >= 1
    assert "8613900000039" not in per_msisdn


@pytest.mark.node
async def test_campaign_through_the_npm_smpp_server(tmp_path: Path, npm_smsc: NpmSmsc) -> None:
    counts = await runner(write_campaign(tmp_path, receipt_wait="0"), npm_smsc.port, tps=50).run()
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 3)
    assert counts["sent"] == 3 and {m.destination for m in npm_smsc.messages} == {m for m, _ in PEOPLE}


def test_bad_files_get_a_located_error(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, quiet_hours='"21:00-8:00"')
    with pytest.raises(CampaignError, match=r"quiet_hours: '21:00-8:00' is not HH:MM-HH:MM"):
        load(path)
    path = write_campaign(tmp_path, tsp="10")
    with pytest.raises(CampaignError, match=r"promo.yaml: tsp: Extra inputs are not permitted"):
        load(path)
    path = write_campaign(tmp_path)
    (tmp_path / "audience.csv").write_text("phone\n8613800138000\n", encoding="utf-8")
    with pytest.raises(CampaignError, match="needs an 'msisdn' column"):
        Campaign(path, load(path).spec).audience()


def test_status_prints_where_it_stands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path)
    store = CampaignStore(load(path).state_path, "promo")
    store.mark(PEOPLE[0][0], "delivered", 0.0)
    store.reply(PEOPLE[0][0], converted=True)
    store.close()
    assert main(["campaign", "status", str(path)]) == 0
    out = capsys.readouterr().out
    assert "campaign promo: 3 in the audience, 1 dealt with, 2 to go" in out
    assert "delivered" in out and "converted                    1" in out
    assert main(["campaign", "status", str(tmp_path / "nope.yaml")]) == 2


async def test_a_campaign_can_start_a_flow_and_the_replies_go_on_in_it(tmp_path: Path) -> None:
    (tmp_path / "audience.csv").write_text("msisdn\n8613800138000\n", encoding="utf-8")
    path = tmp_path / "offer.yaml"
    flows = Path("flows").resolve()
    path.write_text(f"campaign: offer\naudience: audience.csv\nstart: YE\nflows: {flows}\n"
                    "convert_events: [offer_accepted]\nreceipt_wait: 0\nlisten: 30\n", encoding="utf-8")
    engine = build_engine(load(path).flows_path, "demo")
    async with SmscSimulator(credentials=CREDENTIALS) as smsc:
        r = runner(path, smsc.port, flow=engine.handle)
        engine.observers.append(lambda event: r.on_event(event.kind, event.session_key))
        first = asyncio.create_task(r.run())
        await smsc.wait_messages(1)
        r.stop()
        await first
        [offer] = smsc.records.messages
        assert offer.text == "尊敬的客户，您的账户余额为50.00元。\n回复KT开通10元300MB流量包（10.00元/月）。"
        r = runner(path, smsc.port, flow=engine.handle)  # a second run only listens: everyone is dealt with
        engine.observers.append(lambda event: r.on_event(event.kind, event.session_key))
        task = asyncio.create_task(r.run())
        for n, text in enumerate(("KT", "123456", "是"), start=2):
            await smsc.deliver("8613800138000", "10086", text)
            await smsc.wait_messages(n)
        r.stop()
        counts = await task
    assert "请输入6位服务密码" in smsc.records.messages[1].text
    assert "订购成功" in smsc.records.messages[3].text
    assert (counts["replied"], counts["converted"]) == (1, 1)
