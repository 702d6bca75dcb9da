"""Scale-out for real: several ``menuflow serve`` processes sharing sessions in Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
import redis

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_url(redis_url: str) -> Iterator[str]:
    """Redis DB 15 for these processes; their keys (prefix mf:) are deleted afterwards."""
    url = redis_url.rsplit("/", 1)[0] + "/15"
    yield url
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match="mf:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def serve(*args: str) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--events", "off", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        seen: list[str] = []
        while not seen or "menuflow serving" not in seen[-1]:
            seen.append(proc.stdout.readline())
            assert seen[-1], "".join(seen)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()


async def _json(http: aiohttp.ClientSession, port: int, sid: str, kind: str, text: str = "") -> dict[str, str]:
    body = {"session_id": sid, "msisdn": "+8613800138000", "service_code": "*100#", "input": text, "type": kind}
    async with http.post(f"http://127.0.0.1:{port}/ussd", json=body) as resp:
        assert resp.status == 200, await resp.text()
        data: dict[str, str] = await resp.json()
        return data


def test_ussd_session_alternates_between_two_processes(store_url: str) -> None:
    a, b = free_port(), free_port()
    store = store_url
    with serve("--ussd-http", f"127.0.0.1:{a}", "--store", store), \
            serve("--ussd-http", f"127.0.0.1:{b}", "--store", store):

        async def talk() -> list[dict[str, str]]:
            sid = uuid.uuid4().hex
            async with aiohttp.ClientSession() as http:
                return [
                    await _json(http, a, sid, "begin"),
                    await _json(http, b, sid, "continue", "4"),        # packages, on the other process
                    await _json(http, a, sid, "continue", "1"),        # password prompt back on the first
                    await _json(http, b, sid, "continue", "123456"),
                    await _json(http, a, sid, "continue", "N"),
                ]

        replies = asyncio.run(talk())
    assert replies[0]["message"].startswith("欢迎使用10086")
    assert replies[1]["message"].startswith("套餐订退")
    assert replies[2]["message"] == "请输入6位服务密码："
    assert "您将订购5元100MB流量包" in replies[3]["message"]
    assert replies[4]["action"] == "end" and replies[4]["message"] == "本次业务未办理。"  # the flow's cancel text, once


def test_session_survives_a_killed_process(store_url: str) -> None:
    port = free_port()
    store = store_url
    sid = uuid.uuid4().hex

    async def step(kind: str, text: str = "") -> dict[str, str]:
        async with aiohttp.ClientSession() as http:
            return await _json(http, port, sid, kind, text)

    with serve("--ussd-http", f"127.0.0.1:{port}", "--store", store) as first:
        asyncio.run(step("begin"))
        assert asyncio.run(step("continue", "5"))["message"].startswith("更多服务")
        first.kill()  # no clean shutdown: the session must already be in Redis
        first.wait(timeout=10)
    with serve("--ussd-http", f"127.0.0.1:{port}", "--store", store):
        reply = asyncio.run(step("continue", "2"))
    assert reply["message"].startswith("您的积分为1200分")


def test_workers_share_one_port(store_url: str) -> None:
    port = free_port()
    store = store_url
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", "2",
                             "--ussd-http", f"127.0.0.1:{port}", "--store", store],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        ready = 0
        while ready < 2:
            line = proc.stdout.readline()
            assert line, "a worker died"
            ready += "menuflow serving" in line

        async def many() -> list[dict[str, str]]:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
                out = []
                for i in range(20):
                    sid = f"{uuid.uuid4().hex}{i}"
                    await _json(http, port, sid, "begin")
                    out.append(await _json(http, port, sid, "continue", "1"))
                return out

        replies = asyncio.run(many())
        assert all("50.00" in r["message"] for r in replies)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()


def test_africas_talking_cumulative_text_across_processes(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumed prefix's fingerprint lives in Redis: process B strips what process A already fed the engine.

    Separate deployments of one service share the fingerprint key (``serve --workers`` does it for its own).
    """
    monkeypatch.setenv("MENUFLOW_STATE_KEY", "ab" * 32)
    a, b = free_port(), free_port()
    sid = uuid.uuid4().hex

    async def at(http: aiohttp.ClientSession, port: int, text: str) -> str:
        form = {"sessionId": sid, "serviceCode": "*100#", "phoneNumber": "+8613800138000", "networkCode": "1",
                "text": text}
        async with http.post(f"http://127.0.0.1:{port}/ussd/at", data=form) as resp:
            return await resp.text()

    with serve("--ussd-http", f"127.0.0.1:{a}", "--store", store_url), \
            serve("--ussd-http", f"127.0.0.1:{b}", "--store", store_url):

        async def talk() -> list[str]:
            async with aiohttp.ClientSession() as http:
                return [await at(http, a, ""), await at(http, b, "5"), await at(http, a, "5*2"),
                        await at(http, b, "5*2")]  # the last one is a gateway retry on the other process

        first, more, points, retry = asyncio.run(talk())
    assert first.startswith("CON 欢迎使用") and more.startswith("CON 更多服务")
    assert points.startswith("CON 您的积分为1200分") and retry == points
