"""Redis Cluster (``redis+cluster://``) on a real local 3-primary cluster.

The store contract and shared-state suites run on the cluster too (their
``cluster`` parameter); here: the URL, slots and routing, the engine on a
cluster, MOVED after a stale slot map, and the outbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.cluster import key_slot

from engine.clock import ManualClock
from engine.run.build import build_engine
from engine.store.loader import open_store, store_kind
from engine.store.redis import RedisStore
from engine.store.redis_cluster import ClusterPipe, parse_cluster_url
from engine.store.redis_outbox import RedisOutbox
from engine.types import Inbound
from gateways.sms.outbox import MtItem
from gateways.ussd.progress import SessionProgress
from gateways.ussd.progress_redis import RedisProgressStore

FLOWS = str(Path(__file__).resolve().parents[2] / "bench" / "flows")


def test_url_spellings_and_errors() -> None:
    assert store_kind("redis+cluster://10.0.0.1:7000,10.0.0.2") == "redis"
    nodes, settings = parse_cluster_url("redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2?socket_timeout=0.5")
    assert nodes == [("10.0.0.1", 7000), ("10.0.0.2", 6379)]
    assert settings == {"username": None, "password": "s3cret", "socket_timeout": 0.5}
    with pytest.raises(ValueError, match="only database 0"):
        parse_cluster_url("redis+cluster://10.0.0.1:7000/3")
    with pytest.raises(ValueError, match="bad cluster node address 'h:x'"):
        parse_cluster_url("redis+cluster://h:x")
    with pytest.raises(ValueError, match="unknown option 'db'"):
        parse_cluster_url("redis+cluster://h:7000?db=1")


async def test_a_sessions_keys_share_one_slot(cluster_url: str) -> None:
    store = RedisStore(cluster_url)  # serve's default prefixes; nothing is sent
    progress = RedisProgressStore(cluster_url)
    try:
        keys = (store.session_key("ussd:AT-123"), store.lock_key("ussd:AT-123"), progress.record_key("at:AT-123"))
        assert keys == ("mf:s:{ussd:AT-123}", "mf:l:{ussd:AT-123}", "mf:ussd:{ussd:AT-123}:at")
        assert len({key_slot(k.encode()) for k in keys}) == 1
    finally:
        await store.close()
        await progress.close()


async def test_engine_turns_go_to_one_node_each_and_sessions_spread(cluster_url: str, key_prefix: str) -> None:
    store = RedisStore(cluster_url, prefix=key_prefix, clock=ManualClock())
    engine = build_engine(FLOWS, "demo", store=store)
    pipe = store.pipe
    assert isinstance(pipe, ClusterPipe)
    try:
        for n in range(40):
            dial = Inbound(channel="ussd", msisdn="8613800138000", session_key=f"s{n}", service_code="*199#",
                           event="begin")
            assert (await engine.handle(dial))[0].wait is not None
        before = {name: p.batches for name, p in pipe._pipes.items()}
        step = Inbound(channel="ussd", msisdn="8613800138000", session_key="s7", text="1", event="input")
        reply = (await engine.handle(step))[0]
        assert reply.wait is not None and "余额" in reply.text  # the account menu: state kept across turns
        moved = {name: p.batches - before.get(name, 0) for name, p in pipe._pipes.items()}
        # lock+read, then commit+release: two batches, both on the node that owns the session's slot
        assert sorted(moved.values()) == [0, 0, 2]
        assert len(pipe._pipes) == 3  # 40 sessions reached all three primaries
    finally:
        await store.close()


async def test_a_stale_slot_map_is_read_again_on_moved(cluster_url: str, key_prefix: str) -> None:
    client = RedisCluster.from_url(cluster_url.replace("redis+cluster://", "redis://").split(",")[0])
    pipe = ClusterPipe(client)
    key = key_prefix + "moved"
    try:
        await pipe.execute("SET", key, b"v")
        manager = client.nodes_manager
        slot = key_slot(key.encode())
        owner = manager.slots_cache[slot][0]
        wrong = next(n for n in manager.nodes_cache.values() if n.name != owner.name)
        manager.slots_cache[slot] = [wrong]  # as after a resharding this process has not seen
        assert await pipe.execute("GET", key) == b"v"  # MOVED, map read again, sent to the owner
        assert manager.slots_cache[slot][0].name == owner.name
    finally:
        await pipe.close()
        await client.aclose()


async def test_outbox_and_gateway_records_on_the_cluster(cluster_url: str, key_prefix: str) -> None:
    box = RedisOutbox(cluster_url, MtItem, prefix=key_prefix)
    progress = RedisProgressStore(cluster_url, prefix=key_prefix + "ussd:")
    item = MtItem("m1", 1, 1, "8613800138000", b"hello", 0, 0)
    record = SessionProgress("8613800138000", "*100#", "1", "1", "CON menu", True, "zh")
    try:
        await box.put(item)
        got = await box.next()
        assert got == item and await box.size() == 1
        await box.nack(got, 0.01)
        again = await box.next()
        await box.ack(again)
        assert await box.size() == 0
        await progress.set("at:s1", record, 60)
        assert await progress.get("at:s1") == record
    finally:
        await box.close()
        await progress.close()


def test_open_store_gives_a_cluster_client(cluster_url: str) -> None:
    store = open_store(cluster_url)
    assert isinstance(store, RedisStore) and isinstance(store.redis, RedisCluster)
