"""``redis+sentinel://``: the URL, and a subscriber's dialog living through a real failover.

The failover test starts its own primary, replica and sentinel (redis-server
on free loopback ports), kills the primary mid-dialog and checks that the
next input, once Sentinel has promoted the replica, continues the dialog.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from engine.run.build import build_engine
from engine.store.loader import open_store
from engine.store.redis import RedisStore
from engine.store.redis_sentinel import parse_sentinel_url
from engine.types import Event, Inbound
from tests.conftest import skip_or_fail
from tests.net import free_port

FLOWS = str(Path(__file__).resolve().parents[2] / "bench" / "flows")
SERVICE = "mfprimary"


def test_url_with_several_sentinels_a_password_and_a_db() -> None:
    addresses, service, settings = parse_sentinel_url(
        "redis+sentinel://:s%40cret@10.0.0.1,10.0.0.2:26380/ussd-store/3?socket_timeout=0.5"
    )
    assert addresses == [("10.0.0.1", 26379), ("10.0.0.2", 26380)]
    assert service == "ussd-store"
    assert settings == {"db": 3, "username": None, "password": "s@cret", "socket_timeout": 0.5}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+sentinel://10.0.0.1:26379", "needs a service name"),
        ("redis+sentinel://10.0.0.1:26379/svc/x", "needs a service name"),
        ("redis+sentinel://10.0.0.1:port/svc", "bad sentinel address '10.0.0.1:port'"),
        ("redis+sentinel://10.0.0.1/svc?retries=3", "unknown option 'retries'"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        open_store(url)


def wait_until(check: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Trio:
    """A primary, its replica and one sentinel, all on loopback, all stopped afterwards."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.primary, self.replica, self.sentinel = free_port(), free_port(), free_port()
        base = [binary, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)]
        self.procs = {
            "primary": subprocess.Popen(
                [*base, "--port", str(self.primary), "--repl-diskless-sync-delay", "0"], stdout=subprocess.DEVNULL
            ),
            "replica": subprocess.Popen(
                [*base, "--port", str(self.replica), "--replicaof", "127.0.0.1", str(self.primary)],
                stdout=subprocess.DEVNULL,
            ),
        }
        self.binary, self.workdir = binary, workdir

    def start_sentinel(self) -> None:
        """After replication is up: the sentinel's first INFO of the primary then lists the replica
        (the next one would come 10 s later)."""
        conf = self.workdir / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel}\nbind 127.0.0.1\ndir {self.workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 300\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        self.procs["sentinel"] = subprocess.Popen([self.binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)

    def sentinel_knows_the_replica(self) -> bool:
        replicas = self.client(self.sentinel).execute_command("SENTINEL", "REPLICAS", SERVICE)
        return bool(replicas)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.kill()
            proc.wait(5)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[Trio]:
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server not installed (it runs the primary, replica and sentinel)")
        raise AssertionError("unreachable")
    t = Trio(binary, tmp_path)
    try:
        wait_until(lambda: t.client(t.replica).info("replication")["master_link_status"] == "up", "replication")
        t.start_sentinel()
        wait_until(t.sentinel_knows_the_replica, "the sentinel to discover the replica")
        yield t
    finally:
        t.stop()


def ussd(text: str, event: Event = "input") -> Inbound:
    return Inbound("ussd", "8613800138000", text, event, session_key="fo1", service_code="*199#")


async def test_a_dialog_continues_after_the_primary_dies(trio: Trio) -> None:
    store = RedisStore(f"redis+sentinel://127.0.0.1:{trio.sentinel}/{SERVICE}/0?socket_timeout=1")
    engine = build_engine(flows=FLOWS, backend="demo", store=store)
    try:
        assert (await engine.handle(ussd("", "begin")))[0].text.startswith("欢迎")
        assert (await engine.handle(ussd("2")))[0].text.startswith("套餐")
        # The write is on the replica before the primary goes (replication is asynchronous).
        assert trio.client(trio.primary).execute_command("WAIT", 1, 2000) == 1
        trio.procs["primary"].kill()
        trio.procs["primary"].wait(5)

        busy = 0
        deadline = time.monotonic() + 20
        while True:
            reply = (await engine.handle(ussd("1")))[0]
            if not reply.text.startswith("系统繁忙"):
                break
            busy += 1
            assert time.monotonic() < deadline, "no primary after 20 s"
            await asyncio.sleep(0.1)
        assert busy > 0  # until Sentinel promoted the replica, the subscriber was told "busy"
        assert reply.text.startswith("套餐列表"), reply.text  # the "1" applied to where the dialog was
        assert trio.client(trio.replica).info("replication")["role"] == "master"
        session = await store.get("ussd:fo1")
        assert session is not None and session.state == "plans_list"
    finally:
        await store.close()
