"""Issue 12, holes 1 and 8: FastAGI beyond loopback is authenticated, and no peer can hold it forever."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network

import pytest

from app.cli import parser
from app.serve import Server
from engine.types import Inbound, Reply
from gateways.ivr.fastagi import start_agi
from gateways.ivr.options import IvrOptions, ivr_options_from_args, parse_networks
from simulator.fake_asterisk import FakeAsterisk, agi_environment


class Recorder:
    def __init__(self) -> None:
        self.inbound: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.inbound.append(inbound)
        return [Reply("ivr", inbound.msisdn, "再见", "zh")]


async def test_serve_refuses_an_exposed_agi_without_allow_list_or_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --agi 0.0.0.0:4573` (the README's old production example) started with no warning."""
    monkeypatch.delenv("MENUFLOW_AGI_SECRET", raising=False)
    server = Server(parser().parse_args(["serve", "--agi", "0.0.0.0:0"]))
    with pytest.raises(ValueError, match="--agi-allow"):
        await server.start()
    await server.stop()
    monkeypatch.setenv("MENUFLOW_AGI_SECRET", "s3")
    server = Server(parser().parse_args(["serve", "--agi", "0.0.0.0:0"]))
    run = await server.start()
    assert run.agi is not None
    await server.stop()


async def test_a_spoofed_caller_outside_the_allow_list_reaches_nothing() -> None:
    handler = Recorder()
    server = await start_agi(handler, "127.0.0.1", 0, IvrOptions(agi_allow=(ip_network("10.0.0.0/8"),)))
    try:
        commands = await FakeAsterisk("127.0.0.1", server.port, env=agi_environment(callerid="13900139000")).run()
        await server.settle()
    finally:
        await server.close()
    assert commands == [] and handler.inbound == [] and server.stats.refused == 1


@pytest.mark.parametrize(("script", "served"), [("10086?secret=s3cret", True), ("10086?secret=nope", False),
                                                ("10086", False)])
async def test_the_agi_url_must_carry_the_shared_secret(script: str, served: bool) -> None:
    handler = Recorder()
    opts = IvrOptions(agi_allow=(ip_network("127.0.0.0/8"),), agi_secret="s3cret")
    server = await start_agi(handler, "127.0.0.1", 0, opts)
    try:
        await FakeAsterisk("127.0.0.1", server.port, env=agi_environment(script=script)).run()
        await server.settle()
    finally:
        await server.close()
    assert bool(handler.inbound) is served
    if served:  # the peer is the attempt source of password failures
        assert handler.inbound[0].source == "agi:127.0.0.1" and handler.inbound[0].service_code == "10086"


async def test_a_peer_trickling_its_environment_is_dropped() -> None:
    """A connection sending one line every 8 s was kept forever."""
    server = await start_agi(Recorder(), "127.0.0.1", 0, IvrOptions(agi_env_timeout=0.3))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        closed = False
        for _ in range(30):  # a line every 0.1 s, each well within any per-line timeout
            try:
                writer.write(b"agi_x: y\n")
                await writer.drain()
                closed = await asyncio.wait_for(reader.read(), 0.1) == b""
            except TimeoutError:
                continue
            except ConnectionError:
                closed = True
            break
        assert closed  # by the server, after 0.3 s of the whole environment
        writer.close()
        await server.settle()
    finally:
        await server.close()
    assert server.stats.protocol_errors == 1


async def test_connections_over_the_cap_are_closed_at_once() -> None:
    server = await start_agi(Recorder(), "127.0.0.1", 0, IvrOptions(agi_max_connections=2))
    held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
    try:
        await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
        writer.close()
        assert server.stats.refused == 1
    finally:
        for _, w in held:
            w.close()
        await server.close()


def test_allow_list_and_body_limit_flags() -> None:
    args = parser().parse_args(["serve", "--agi-allow", "10.0.0.5, 192.168.0.0/16", "--http-max-body", "2048"])
    opts = ivr_options_from_args(args)
    assert [str(n) for n in opts.agi_allow] == ["10.0.0.5/32", "192.168.0.0/16"]
    assert opts.max_body == 2048  # --http-max-body did not apply to IVR
    with pytest.raises(ValueError, match="--agi-allow: 'x' is not"):
        parse_networks("x")
