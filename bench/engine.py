"""Engine figures against a raw ``transitions`` baseline measured in the same run.

- ``engine_step_ratio``: engine inputs/s (3-level menu in bench/flows, demo
  backend, in-process, ``store``) ÷ raw triggers/s on an equivalent shared
  machine — same states, same edges, ``Machine(model=None,
  auto_transitions=False)`` fired as ``machine.events[name].trigger(record)`` on a
  slotted record. Printed for information only: it was a target (≥ 0.5) until
  the floor below showed it is bounded by the store contract and the trigger
  cost, not by anything the engine could drop; the HTTP ratios of the real
  ``serve`` process are the targets now (``bench/ussd.py``).
- ``engine_floor_ratio``: the same walk with only what any engine on this
  store contract must do per input — lock, load, fire the step's triggers,
  save, build the reply — and no menu logic at all. It is the ceiling of
  ``engine_step_ratio`` on this machine: the distance between the two is
  what menu matching, rendering, paging and observers cost.
- ``engine_step_32_per_s``: the same inputs, 32 dialogs at a time; on Redis
  the figure that sizes a loaded process (their commands share writes).
- ``event_log_step_cost``: the share of an engine step the durable event log
  takes, its writes included (see ``bench.events``), against the same engine
  with an observer that does nothing (``engine_step_observed_per_s``: serve
  builds events anyway, for its metrics). The serve path's figure is
  ``event_log_cost`` in ``bench.ussd``; ``events_per_step`` is how many events
  one input logs.
- ``session_create_per_s``: USSD dials (a new session, its first menu, saved).
- ``session_bytes``: memory held per idle session in the memory store
  (tracemalloc over 100k copies of a real session); on Redis, ``used_memory``
  growth per stored session instead.
"""

from __future__ import annotations

import asyncio
import itertools
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import msgpack
from transitions import Machine

from bench.common import Batch, Figures, best_of, log, run_async
from bench.events import event_log, ignore, logged
from engine.clock import SystemClock
from engine.flow.compiler import compile_file
from engine.flow.machine import edge_name
from engine.flow.model import CompiledFlow
from engine.ports.events import Observer
from engine.ports.sessions import SessionStore
from engine.run.build import build_engine
from engine.session import Session
from engine.states import LANGUAGE
from engine.store.loader import open_store
from engine.store.memory import MemoryStore
from engine.store.redis import RedisStore
from engine.store.redis_conn import Client
from engine.types import Event, Inbound, Reply, Wait

FLOWS = Path(__file__).with_name("flows")
CODE = "*199#"
#: One walk through the tree and back: level 1, 2, 3, then the leaf returns to main.
SCRIPT = ("1", "1", "1", "2", "2", "1", "3", "3", "2", "1", "2", "2")
SESSIONS = 500
#: Dialogs stepped at once for ``engine_step_32_per_s`` (the USSD benchmark's connection count).
IN_FLIGHT = 32
IDLE_SESSIONS = 100_000
REDIS_SESSIONS = 20_000
#: Raw and engine windows alternate this many times; the best of each counts, so a
#: neighbour's burst of CPU use on a shared machine skews neither side of a ratio.
ROUNDS = 5


class Record:
    """The smallest model the raw machine can move: one slot."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def raw_machine(flow: CompiledFlow) -> tuple[Machine, list[str]]:
    """A bare machine with the flow's states and edges, and a closed walk over them."""
    machine = Machine(model=None, states=list(flow.nodes), initial=flow.spec.entry, auto_transitions=False)
    for node in flow.nodes.values():
        for dest in node.edges:
            machine.add_transition(f"{node.name}>{dest}", node.name, dest)
    walk: list[str] = []
    state, seen = flow.spec.entry, set()
    while state not in seen and flow.nodes[state].edges:
        seen.add(state)
        dest = flow.nodes[state].edges[0]
        walk.append(f"{state}>{dest}")
        state = dest
    return machine, walk


def raw_batch(flow: CompiledFlow) -> Callable[[], int]:
    machine, walk = raw_machine(flow)
    events = [machine.events[name] for name in walk]
    record = Record(flow.spec.entry)

    def batch() -> int:
        for _ in range(100):
            record.state = flow.spec.entry
            for event in events:
                event.trigger(record)
        return 100 * len(events)

    return batch


def script_edges(flow: CompiledFlow) -> list[list[str]]:
    """The transitions each input of SCRIPT fires: the chosen option's edge, then any automatic message's."""
    state, steps = flow.spec.entry, []
    for text in SCRIPT:
        dest = next(o.goto for o in flow.nodes[state].by_channel["ussd"] if o.key == text)
        fired = [edge_name(state, dest)]
        while flow.nodes[dest].spec.type == "message" and flow.nodes[dest].spec.goto:
            fired.append(edge_name(dest, flow.nodes[dest].spec.goto))
            dest = flow.nodes[dest].spec.goto
        steps.append(fired)
        state = dest
    return steps


async def floor_batch(flow: CompiledFlow) -> Callable[[], Awaitable[int]]:
    """SESSIONS dialogs walking SCRIPT with no menu logic: lock, load, triggers, save, reply."""
    store = MemoryStore()
    keys = [f"ussd:f{i}" for i in range(SESSIONS)]
    for key in keys:
        await store.put(Session(key, "8613800138000", "ussd", flow.id, flow.version, flow.spec.entry, "zh", 0.0), 600)
    steps = itertools.cycle([[flow.machine.machine.events[name] for name in fired] for fired in script_edges(flow)])
    wait = Wait("choice", max_digits=1)

    async def batch() -> int:
        fired = next(steps)
        for key in keys:
            async with store.lock(key):
                session = await store.get(key)
                assert session is not None
                for event in fired:
                    event.trigger(session)
                await store.put(session, 600)
                Reply("ussd", session.msisdn, session.state, session.locale, wait, meta={"state": session.state})
        return len(keys)

    return batch


def inbound(key: str, msisdn: str, text: str, event: Event) -> Inbound:
    return Inbound(
        channel="ussd",
        msisdn=msisdn,
        text=text,
        event=event,
        session_key=key,
        service_code=CODE,
        received_at=SystemClock().now(),
    )


async def step_batch(store: SessionStore, in_flight: int = 1,
                     observers: Sequence[Observer] = ()) -> Callable[[], Awaitable[int]]:
    """One input for each of SESSIONS live dialogs, walking SCRIPT round and round.

    ``in_flight`` dialogs are stepped at once (``gather``), as a loaded server
    has them; on Redis that is what lets their commands share round trips.
    """
    engine = build_engine(flows=str(FLOWS), backend="demo", store=store)
    engine.observers.extend(observers)
    run = uuid.uuid4().hex[:8]
    keys = [(f"b{run}-{i}", f"86138{i:08d}") for i in range(SESSIONS)]
    for key, msisdn in keys:
        await engine.handle(inbound(key, msisdn, "", "begin"))
    # Built before timing, as the raw side builds its event list: decoding a request into
    # an Inbound is the gateway's work, measured by the USSD and SMS benchmarks.
    by_text = {text: [inbound(key, msisdn, text, "input") for key, msisdn in keys] for text in set(SCRIPT)}
    script = itertools.cycle(SCRIPT)

    async def batch() -> int:
        messages = by_text[next(script)]
        if in_flight == 1:
            for message in messages:
                await engine.handle(message)
        else:
            for i in range(0, len(messages), in_flight):
                await asyncio.gather(*(engine.handle(m) for m in messages[i : i + in_flight]))
        return len(keys)

    return batch


def create_batch(store: SessionStore) -> Callable[[], Awaitable[int]]:
    """200 USSD dials, each a new subscriber and session."""
    engine = build_engine(flows=str(FLOWS), backend="demo", store=store)
    run = uuid.uuid4().hex[:8]
    counter = itertools.count()

    async def batch() -> int:
        for _ in range(200):
            i = next(counter)
            await engine.handle(inbound(f"c{run}-{i}", f"86139{i:08d}", "", "begin"))
        return 200

    return batch


async def sample_session(store: SessionStore) -> Session:
    """A session exactly as the engine leaves it mid-dialog."""
    engine = build_engine(flows=str(FLOWS), backend="demo", store=store)
    key = f"sample-{uuid.uuid4().hex[:8]}"
    await engine.handle(inbound(key, "8613800138000", "", "begin"))
    for text in SCRIPT[:2]:
        await engine.handle(inbound(key, "8613800138000", text, "input"))
    # engine.store, not store: build_engine swaps an empty MemoryStore (falsy: len 0) for its own.
    found = await engine.store.get(f"ussd:{key}")
    if found is None:
        raise RuntimeError(f"the engine stored no session under ussd:{key}")
    return found


async def memory_session_bytes() -> tuple[float, int]:
    """(bytes per idle session, msgpack size of one) over IDLE_SESSIONS copies."""
    template = (await sample_session(MemoryStore())).to_dict()
    store = MemoryStore()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(IDLE_SESSIONS):
        d = dict(template, k=f"ussd:idle-{i:08d}", m=f"86137{i:08d}", r=0)
        await store.put(Session.from_dict(d), 3600)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / IDLE_SESSIONS, len(msgpack.packb(dict(template, r=1)))


def _data_memory(info: dict[str, Any]) -> int:
    return int(info["used_memory"]) - int(info.get("mem_clients_normal", 0))


async def redis_session_bytes(url: str) -> float:
    """Growth of Redis memory per stored session, on a prefix deleted afterwards.

    Connection buffers (``mem_clients_normal``) are left out: the client opens
    a connection per concurrent command, and those are not session data.
    """
    prefix = f"mfbench:{uuid.uuid4().hex[:8]}:"
    store = RedisStore(url, prefix=prefix)
    try:
        template = (await sample_session(store)).to_dict()
        before = _data_memory(await store.redis.info("memory"))
        for start in range(0, REDIS_SESSIONS, 500):
            batch = [
                store.put(Session.from_dict(dict(template, k=f"ussd:idle-{i}", m=f"86137{i:08d}", r=0)), 600)
                for i in range(start, start + 500)
            ]
            await asyncio.gather(*batch)
        after = _data_memory(await store.redis.info("memory"))
        return (after - before) / REDIS_SESSIONS
    finally:
        await clear(store.redis, prefix)
        await store.close()


async def clear(client: Client, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
    for i in range(0, len(keys), 1000):
        await client.delete(*keys[i : i + 1000])


async def measure(store_spec: str, seconds: float) -> Figures:
    flow = compile_file(LANGUAGE, str(FLOWS / "bench.yaml"))
    prefix = f"mfbench:{uuid.uuid4().hex[:8]}:"
    store = open_store(store_spec) if store_spec == "memory" else RedisStore(store_spec, prefix=prefix)
    try:
        log(f"bench.engine: raw triggers, engine steps and dials on {store_spec}, interleaved")
        batches: dict[str, Batch] = {
            "raw_trigger_per_s": raw_batch(flow),
            "engine_step_per_s": await step_batch(store),
            "engine_step_32_per_s": await step_batch(store, in_flight=IN_FLIGHT),
            "session_create_per_s": create_batch(store),
        }
        per_step = 0.0
        async with event_log() as events:
            if store_spec == "memory":  # the floor's store is a MemoryStore of its own
                batches["engine_floor_per_s"] = await floor_batch(flow)
                batches["engine_step_observed_per_s"] = await step_batch(store, observers=[ignore])
                batch = batches["engine_step_logged_per_s"] = logged(await step_batch(store, observers=[events]),
                                                                     events)
                await events.flush()  # the dials' events
                before = events.written
                for _ in SCRIPT:  # one walk, untimed: how many events an input logs
                    await batch()
                per_step = (events.written - before) / (SESSIONS * len(SCRIPT))
            rates = await best_of(ROUNDS, seconds / ROUNDS, batches)
            dropped = events.dropped
    finally:
        if isinstance(store, RedisStore):
            await clear(store.redis, prefix)
        await store.close()
    figures: Figures = {
        "raw_trigger_per_s": rates["raw_trigger_per_s"],
        "engine_step_per_s": rates["engine_step_per_s"],
        "engine_step_ratio": rates["engine_step_per_s"] / rates["raw_trigger_per_s"],
        "engine_step_32_per_s": rates["engine_step_32_per_s"],
        "triggers_per_step": sum(map(len, script_edges(flow))) / len(SCRIPT),
        "session_create_per_s": rates["session_create_per_s"],
    }
    if "engine_floor_per_s" in rates:
        figures["engine_floor_per_s"] = rates["engine_floor_per_s"]
        figures["engine_floor_ratio"] = rates["engine_floor_per_s"] / rates["raw_trigger_per_s"]
    if "engine_step_logged_per_s" in rates:
        figures["engine_step_observed_per_s"] = rates["engine_step_observed_per_s"]
        figures["engine_step_logged_per_s"] = rates["engine_step_logged_per_s"]
        figures["event_log_step_cost"] = 1 - rates["engine_step_logged_per_s"] / rates["engine_step_observed_per_s"]
        figures["events_per_step"] = per_step
        figures["events_dropped"] = dropped
    if store_spec == "memory":
        log("bench.engine: memory per idle session")
        figures["session_bytes"], figures["session_msgpack_bytes"] = await memory_session_bytes()
        figures["targets"] = {
            "session_create_per_s": [">=", 20_000],
            "session_bytes": ["<=", 2_048],
        }
    else:
        log("bench.engine: Redis memory per session")
        figures["redis_session_bytes"] = await redis_session_bytes(store_spec)
    return figures


def run(seconds: float, store: str = "memory") -> Figures:
    figures, loop = run_async(measure(store, seconds))
    return {"loop": loop, **figures}
