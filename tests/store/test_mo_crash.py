"""Issue 18's experiment: ``kill -9`` in the middle of an MO burst loses nothing.

A real ``menuflow serve --store redis://`` against the npm ``smpp`` SMSC,
which sends 300 MOs from distinct numbers over 1.5 s and redelivers every
deliver_sm it got no OK resp for. Before the durable inbox, 111 of 300 went
unanswered: acknowledged, then lost with the process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from crash_harness import (
    PREFIX,
    AtKill,
    N,
    Outcome,
    Serve,
    acked,
    all_answered,
    answers,
    at_kill,
    claimed,
    outcome,
    start_burst,
)
from redis_proxy import CuttableProxy

from simulator.smsc_npm import NpmSmsc, npm_smsc_available
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.node

#: Our own database: serve's keys have the fixed prefix ``mf:``, and other tests clean DB 15.
DB = 11
STREAM = "mf:{sms}:in"


@pytest.fixture
def store_url(redis_url: str) -> Iterator[str]:
    url = redis_url.rsplit("/", 1)[0] + f"/{DB}"
    client = redis.Redis.from_url(url)

    def clean() -> None:
        keys = list(client.scan_iter(match="mf:*", count=1000))
        if keys:
            client.delete(*keys)

    clean()
    yield url
    clean()
    client.close()


@pytest.fixture
async def smsc() -> AsyncIterator[NpmSmsc]:
    reason = npm_smsc_available()
    if reason:
        skip_or_fail(reason)
    async with NpmSmsc({"menuflow": "secret"}) as sim:
        yield sim


def report(name: str, got: Outcome) -> None:
    """The figures the README quotes (run with -s to see them)."""
    print(f"\n{name}: " + json.dumps(got.__dict__))


def assert_nothing_lost(got: Outcome, kill: AtKill, store_url: str) -> None:
    assert not kill.burst_done and got.acked_unanswered_at_kill > 0, got  # the kill did land mid-burst
    assert got.answered == N and got.acked == N
    # A duplicate needs an MT submitted by the killed process whose submit_sm_resp it never read.
    assert got.duplicates <= 10, got
    client = redis.Redis.from_url(store_url)
    try:
        assert client.xlen(STREAM) == 0  # every stored MO left the inbox with its answer
    finally:
        client.close()


async def test_kill_9_mid_burst_then_restart_answers_every_mo(smsc: NpmSmsc, store_url: str) -> None:
    first = await Serve(smsc.port, store_url).start()
    try:
        start_burst(smsc)
        await smsc.wait_for(lambda: smsc.count("mo_resp") >= N // 3, timeout=20)
        first.kill()
        kill = at_kill(smsc)
    finally:
        await first.stop()
    second = await Serve(smsc.port, store_url).start()
    try:
        await all_answered(smsc, timeout=30)
    finally:
        await second.stop()  # a clean stop sends what is still queued: late duplicates show up now
    got = outcome(smsc, kill, first, second)
    report("kill -9, restart", got)
    assert_nothing_lost(got, kill, store_url)


async def test_one_of_two_workers_killed_mid_burst(smsc: NpmSmsc, store_url: str) -> None:
    serve = await Serve(smsc.port, store_url, workers=2).start()
    try:
        await smsc.wait_for(lambda: smsc.count("bind") >= 2, timeout=10)
        start_burst(smsc)
        await smsc.wait_for(lambda: smsc.count("mo_resp") >= N // 3, timeout=20)
        os.kill(serve.children()[0], signal.SIGKILL)
        kill = at_kill(smsc)
        await all_answered(smsc, timeout=30)
    finally:
        await serve.stop()
    got = outcome(smsc, kill, serve)
    report("--workers 2, one killed", got)
    assert_nothing_lost(got, kill, store_url)


async def test_killed_after_storing_a_burst_but_before_any_resp(smsc: NpmSmsc, store_url: str) -> None:
    """The adds of a whole burst ran in Redis, no resp left: the SMSC sends each MO again, each is answered once.

    A proxy keeps Redis's replies to the connections that stored MOs, so the
    process has stored every MO (and taken each for its reader) without
    knowing it; then it is killed.
    A batch that lost an MO would leave it unanswered, one stored twice would
    answer it twice.
    """
    count = 50
    host, db = store_url.rsplit("/", 1)
    proxy = CuttableProxy(int(host.rsplit(":", 1)[1]))
    await proxy.start()
    client = redis.Redis.from_url(store_url)
    first = await Serve(smsc.port, f"redis://127.0.0.1:{proxy.port}/{db}").start()
    try:
        proxy.hold_replies(after=b"{sms}:mo:")  # a key only storing an MO names (its redelivery mark)
        smsc.command("burst", n=count, ms=100, text_hex=b"YE".hex(), prefix=PREFIX, retry_ms=200)
        async with asyncio.timeout(20):
            while client.xlen(STREAM) < count:
                await asyncio.sleep(0.01)
        first.kill()  # within the claim idle time: the process cannot have taken over its own MOs yet
    finally:
        await first.stop()
        await proxy.cut()
    assert smsc.count("mo_resp") == 0 and client.xlen(STREAM) == count  # all stored, none acknowledged
    second = await Serve(smsc.port, store_url).start()
    try:
        await smsc.wait_for(lambda: len(answers(smsc)) == count, timeout=30)
        await asyncio.sleep(0.5)  # a second answer would come now
    finally:
        await second.stop()
    got = answers(smsc)
    report("killed between storing and acknowledging", Outcome(
        sent=count, answered=len(got), duplicates=sum(got.values()) - len(got), redelivered=smsc.count("redeliver"),
        acked=acked(smsc), acked_unanswered_at_kill=0, unsent_at_kill=count, claimed=claimed(first, second)))
    assert len(got) == count and set(got.values()) == {1}
    assert smsc.count("redeliver") == count and acked(smsc) == count  # each sent again, then acknowledged
    assert claimed(second) == count  # taken by the dead reader when stored, taken over once idle
    assert client.xlen(STREAM) == 0
    client.close()
