"""FastAGI server: one asyncio task per Asterisk call, engine steps in between prompts.

Asterisk connects for each call (``AGI(agi://host:4573/10086)``), sends its
``agi_*`` environment and then waits for commands. Each call runs this loop:
ANSWER → ``begin`` → speak the reply and collect keys → ``input``/``noinput``
→ … until the engine ends the dialog (HANGUP), transfers (Queue/Dial or a
dialplan jump), or the caller leaves (the handler gets ``end`` exactly once
when the dialog was still open). A transfer with a wait threshold stays in the
AGI: when Queue/Dial returns, its status goes to the engine as a
``transfer_result`` and the answer (the busy phrase) is said before HANGUP. Nothing in a call can raise past its task:
failures are counted in ``AgiStats`` and logged as one line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from engine.clock import Clock, SystemClock
from engine.msisdn import normalise_msisdn
from engine.types import Event, Handler, Inbound, Reply, Transfer
from gateways.ivr.agi_collect import Collector
from gateways.ivr.agi_guard import allowed_peer, secret_matches
from gateways.ivr.agi_protocol import AgiConnection, AgiHangup, AgiProtocolError, quote
from gateways.ivr.agi_transfer import AgentApp, agent_app
from gateways.ivr.options import (
    IvrOptions,
    map_locale,
    service_from_number,
    valid_transfer_target,
)

log = logging.getLogger("menuflow.ivr.agi")
#: Seconds past the wait threshold ``Queue``/``Dial`` may take to return: Asterisk checks a queue's
#: timeout only between ring cycles (member timeout plus retry, 20 s by default).
APP_OVERRUN = 60.0


@dataclass(slots=True)
class AgiStats:
    """Counters for metrics and the benchmark."""

    calls: int = 0
    active: int = 0
    completed: int = 0
    transfers: int = 0
    hangups: int = 0
    errors: int = 0
    protocol_errors: int = 0
    #: Connections refused: a peer outside --agi-allow, a wrong secret, over the connection cap.
    refused: int = 0
    steps: int = 0


@dataclass(frozen=True, slots=True)
class CallInfo:
    """What the AGI environment says about a call, in engine terms."""

    msisdn: str
    session_key: str
    service_code: str
    locale: str | None

    @classmethod
    def from_env(cls, env: dict[str, str], opts: IvrOptions) -> CallInfo:
        script, _, query = env.get("agi_network_script", "").partition("?")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        service = params.get("service") or script.strip("/")
        for key in ("agi_dnid", "agi_extension"):
            value = env.get(key, "")
            if not service and value and value not in ("unknown", "s"):
                service = service_from_number(value, opts.country_code)
        locale = map_locale(params.get("lang")) or map_locale(env.get("agi_language"))
        return cls(
            msisdn=normalise_msisdn(env.get("agi_callerid", ""), opts.country_code) or "",  # "" = withheld
            session_key=env.get("agi_uniqueid") or env.get("agi_channel", ""),
            service_code=service or opts.default_service,
            locale=locale,
        )


class AgiCall:
    """One call's dialog between Asterisk and the handler."""

    def __init__(
        self, conn: AgiConnection, handler: Handler, opts: IvrOptions, stats: AgiStats, clock: Clock
    ) -> None:
        self._conn = conn
        self._handler = handler
        self._opts = opts
        self._stats = stats
        self._clock = clock
        self._collector = Collector(conn, opts)
        self._info: CallInfo | None = None
        self._open = False
        self._locale: str | None = None
        self._source = ""

    async def run(self, peer: str = "") -> None:
        try:
            env = await self._conn.read_environment(self._opts.agi_env_timeout)
            if not secret_matches(env, self._opts.agi_secret):
                log.warning("AGI connection from %s refused: missing or wrong secret in the AGI URL", peer)
                self._stats.refused += 1
                return
            self._info = CallInfo.from_env(env, self._opts)
            self._source = f"agi:{peer}"
            self._locale = self._info.locale
            if self._conn.hangup_seen:
                raise AgiHangup("hung up before the call started")
            await self._conn.command("ANSWER")
            await self._dialog()
        except AgiHangup:
            self._stats.hangups += 1
        except AgiProtocolError as exc:
            self._stats.protocol_errors += 1
            log.warning("AGI protocol error: %s", exc)
        except Exception as exc:  # one line, never a traceback, never the caller's input
            self._stats.errors += 1
            log.error("IVR call failed: %s", type(exc).__name__)
        finally:
            await self._conn.close()
            if self._open:
                self._open = False
                await self._notify_end()

    def _inbound(self, event: Event, text: str = "") -> Inbound:
        assert self._info is not None
        return Inbound(
            channel="ivr", msisdn=self._info.msisdn, text=text, event=event,
            session_key=self._info.session_key, service_code=self._info.service_code,
            received_at=self._clock.now(), locale=self._locale, meta={"source": self._source},
        )

    async def _ask(self, inbound: Inbound) -> Reply | None:
        self._stats.steps += 1
        replies = await asyncio.wait_for(self._handler(inbound), self._opts.handler_timeout)
        return replies[0] if replies else None

    async def _notify_end(self) -> None:
        try:
            await asyncio.wait_for(self._handler(self._inbound("end")), self._opts.handler_timeout)
        except Exception as exc:
            log.warning("IVR end event failed: %s", type(exc).__name__)

    async def _dialog(self) -> None:
        inbound = self._inbound("begin")
        for _ in range(self._opts.max_steps):
            self._open = True
            try:
                reply = await self._ask(inbound)
            except Exception:
                await self._finish("error")
                raise
            if reply is None or reply.transfer is not None or reply.wait is None:
                self._open = False
                await self._conclude(reply)
                return
            await self._follow_locale(reply)
            digits = await self._collector.speak_and_collect(reply)
            inbound = self._inbound("input", digits) if digits else self._inbound("noinput")
        log.warning("IVR call stopped after %d steps", self._opts.max_steps)
        await self._finish("error")

    async def _follow_locale(self, reply: Reply) -> None:
        """Keep Asterisk's channel language (SAY NUMBER, sound folders) on the reply's."""
        self._collector.set_language(reply.locale)
        if reply.locale != self._locale:
            self._locale = reply.locale
            await self._conn.command(f"SET VARIABLE CHANNEL(language) {quote(reply.locale)}")

    async def _conclude(self, reply: Reply | None) -> None:
        if reply is not None:
            await self._follow_locale(reply)
            await self._collector.speak_and_collect(reply)
        if reply is not None and reply.transfer is not None:
            await self._transfer(reply.transfer)
            return
        await self._finish("completed")
        self._stats.completed += 1

    async def _finish(self, result: str) -> None:
        await self._conn.command(f"SET VARIABLE MENUFLOW_RESULT {quote(result)}")
        await self._conn.command("HANGUP")

    async def _transfer(self, transfer: Transfer) -> None:
        """Hand the caller to an agent the way ``--ivr-transfer`` says."""
        target, max_wait = transfer.target, transfer.max_wait
        if not valid_transfer_target(target):
            log.warning("IVR transfer target rejected: %r", target[:40])
            await self._finish("error")
            return
        self._stats.transfers += 1
        mode, arg = self._opts.transfer_mode, self._opts.transfer_arg
        await self._conn.command(f"SET VARIABLE MENUFLOW_TRANSFER {quote(target)}")
        await self._conn.command(f"SET VARIABLE MENUFLOW_RESULT {quote('transfer')}")
        if max_wait is not None:  # for a dialplan that queues the caller itself (goto, dialplan)
            await self._conn.command(f"SET VARIABLE MENUFLOW_MAX_WAIT {max_wait}")
        if mode == "goto":
            await self._conn.command(f"SET CONTEXT {quote(arg)}")
            await self._conn.command(f"SET EXTENSION {quote(target)}")
            await self._conn.command("SET PRIORITY 1")
            return
        if mode == "dialplan":
            return
        if max_wait is not None:
            await self._wait_for_agent(agent_app(mode, arg, target, max_wait), max_wait)
            return
        if mode == "dial":
            await self._conn.command(f"EXEC Dial {quote(arg.replace('{target}', target))}")
        else:
            await self._conn.command(f"EXEC Queue {quote(target)}")
        await self._conn.command("HANGUP")

    async def _wait_for_agent(self, agent: AgentApp, max_wait: int) -> None:
        """Hand over within the threshold, tell the engine how it went, say its answer, hang up.

        The application answers only when it returns: after the threshold (plus the ring cycle
        Asterisk finishes first), at once when the queue is full or empty, or when a bridged
        call with an agent ends. A hang-up on the way tells the engine ``end`` (``_open``),
        which closes its ticket without a message.
        """
        self._open = True
        await self._conn.command(f"EXEC {agent.app} {quote(agent.args)}",
                                 timeout=max(self._opts.agi_reply_timeout, max_wait + APP_OVERRUN))
        status = await self._conn.command(f"GET VARIABLE {agent.status}")
        outcome = agent.outcome(status.note) if status.result == "1" else None
        if outcome is None:
            log.info("agent transfer ended with %s %r: nothing to report", agent.status, status.note[:20])
        self._open = False
        reply = await self._ask(self._inbound("transfer_result", outcome) if outcome else self._inbound("end"))
        if reply is not None and reply.text:
            await self._follow_locale(reply)
            await self._collector.speak_and_collect(reply)
        await self._conn.command("HANGUP")


class AgiServer:
    """The listening socket plus the calls in progress; ``close()`` ends both."""

    def __init__(self, handler: Handler, opts: IvrOptions, clock: Clock) -> None:
        self._handler = handler
        self._opts = opts
        self._clock = clock
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[AgiConnection] = set()
        self.stats = AgiStats()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Run the call in a task of our own: a cancelled call then never reaches
        asyncio's connection callback, which would log it as a traceback."""
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not allowed_peer(host, self._opts) or len(self._tasks) >= self._opts.agi_max_connections:
            self.stats.refused += 1
            log.warning("AGI connection from %s refused: %s", host or "?",
                        "over --agi-max-connections" if allowed_peer(host, self._opts) else "not in --agi-allow")
            writer.close()
            return
        task = asyncio.create_task(self._call(reader, writer, host))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        self.stats.calls += 1
        self.stats.active += 1
        conn = AgiConnection(reader, writer, self._opts.agi_reply_timeout, self._opts.hangup_grace)
        self._conns.add(conn)
        try:
            await AgiCall(conn, self._handler, self._opts, self.stats, self._clock).run(peer)
        finally:
            self._conns.discard(conn)
            self.stats.active -= 1

    async def settle(self) -> None:
        """Wait until every call in progress has finished (tests, graceful stop)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Stop listening and drop the calls in progress (open dialogs get ``end``).

        Dropping the sockets, rather than cancelling tasks, lets each call end
        through its normal hang-up path; a call stuck in the engine is
        cancelled once the handler deadline has passed.
        """
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.abort()
        if self._tasks:
            _, stuck = await asyncio.wait(set(self._tasks), timeout=self._opts.handler_timeout + 1.0)
            for task in stuck:
                task.cancel()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def start_agi(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 4573,
    opts: IvrOptions | None = None,
    clock: Clock | None = None,
    *,
    reuse_port: bool = False,
) -> AgiServer:
    """Listen for FastAGI connections; port 0 picks a free port (see ``.port``).

    ``reuse_port`` lets several ``serve --workers`` processes share the port.
    """
    server = AgiServer(handler, opts or IvrOptions(), clock or SystemClock())
    server._server = await asyncio.start_server(
        server._on_connect, host, port, backlog=1024, reuse_port=reuse_port or None
    )
    return server
