"""The engine: lock → load → route → turn → save → reply, for one Inbound at a time per session.

It holds no protocol knowledge and does no I/O of its own beyond its ports
(Backend, SessionStore); gateways call ``handle`` and deliver the replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from engine.clock import Clock, SystemClock
from engine.flow.channels import PROFILES
from engine.flow.messages import builtin
from engine.flow.model import CompiledFlow
from engine.flow.registry import FlowRegistry
from engine.flow.spec import normalize_command
from engine.ports.backend import Backend
from engine.ports.events import EngineEvent, Observer
from engine.ports.limits import RateLimiter
from engine.ports.sessions import SessionBusy, SessionStore, StaleSession, StoreUnavailable
from engine.run import paging
from engine.run.context import TurnContext
from engine.run.routing import Route, Router
from engine.run.turn import Turn
from engine.session import Session
from engine.store.limits import MemoryRateLimiter
from engine.types import AGENT_OUTCOMES, Inbound, Reply, Wait

LocaleLookup = Callable[[str], Awaitable[str | None]]
#: Profile languages remembered per process before the cache starts over.
LOCALE_CACHE = 100_000
#: How long a new dialog waits for the profile's language (under the session lock) before it
#: starts in the flow's own: a hung backend must not hold back even the static welcome menu.
#: After a look-up timed out, new dialogs skip it for ``LOCALE_PAUSE`` seconds (the backend is
#: evidently slow) instead of each waiting again. ``asyncio.timeout`` costs a timer, not a task:
#: a task per new session halved the session-creation benchmark.
LOCALE_WAIT = 0.15
LOCALE_PAUSE = 30.0
#: Reports of a transfer that reached no agent (everything but ``answered``): the busy SMS.
UNREACHED = frozenset(AGENT_OUTCOMES) - {"answered"}
#: Seconds an agent ticket outlives its wait threshold: the transfer phrase plays first, and Asterisk
#: checks a queue's timeout only between ring cycles, so its report may come well after ``max_wait``.
REPORT_GRACE = 120.0


class Engine:
    def __init__(
        self,
        registry: FlowRegistry,
        backend: Backend,
        store: SessionStore,
        clock: Clock | None = None,
        *,
        ttl: Mapping[str, float] | None = None,
        call_timeout: float = 2.0,
        locale_lookup: LocaleLookup | None = None,
        limits: RateLimiter | None = None,
    ) -> None:
        self.registry = registry
        self.router = Router(registry)
        self.backend = backend
        self.store = store
        self.clock = clock or SystemClock()
        self.ttl = {ch: p.session_ttl for ch, p in PROFILES.items()} | dict(ttl or {})
        self.observers: list[Observer] = []
        self.log = logging.getLogger("menuflow.engine")
        self.world = TurnContext(registry, backend, call_timeout, self.observers, self.log,
                                 limits or MemoryRateLimiter(self.clock))
        self._locale_lookup = locale_lookup
        self._locales: dict[str, str] = {}
        #: Until when profile look-ups are skipped (one timed out: the backend is slow).
        self._lookups_paused_until = 0.0

    @property
    def call_timeout(self) -> float:
        """Deadline of one backend call, in seconds."""
        return self.world.call_timeout

    @call_timeout.setter
    def call_timeout(self, seconds: float) -> None:
        self.world.call_timeout = seconds

    def emit(self, event: EngineEvent) -> None:
        self.world.emit(event)

    # -- entry point ---------------------------------------------------------------
    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one inbound; never raises, never shows a traceback to the subscriber."""
        try:
            async with self.store.lock(inbound.key):
                return await self._handle(inbound)
        except (SessionBusy, StaleSession, StoreUnavailable) as exc:  # contention or an outage: no traceback
            self.log.warning("%s input for %s not applied: %s: %s", inbound.channel, inbound.key,
                             type(exc).__name__, exc)
            reason = "busy" if isinstance(exc, SessionBusy) else "stale" if isinstance(exc, StaleSession) else "store"
            return [self._fatal(inbound, reason)]
        except Exception:  # the subscriber gets "busy", the log gets the details
            self.log.exception("failed to handle %s input for %s", inbound.channel, inbound.key)
            return [self._fatal(inbound, "error")]

    def _fatal(self, inbound: Inbound, reason: str | None = None) -> Reply:
        """The "busy, try again" answer; ``reason`` (for metrics) when an input failed."""
        if reason is not None:
            self.emit(EngineEvent("failed", inbound.key, inbound.channel, data={"reason": reason},
                                  msisdn=inbound.msisdn, at=self.clock.now()))
        return self._say(inbound, "busy")

    def _say(self, inbound: Inbound, key: str) -> Reply:
        """A built-in text that ends the exchange, in the words of the channel's declared default flow."""
        locale = inbound.locale or "zh"
        route = self.router.default(inbound.channel)
        flow = self.registry.current.get(route.flow) if route else None
        text = flow.message(key, inbound.channel, locale, {}) if flow else builtin(key, locale)
        return Reply(inbound.channel, inbound.msisdn, text, locale)

    async def _handle(self, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        session = await self.store.get(inbound.key)
        if session is not None and session.msisdn != inbound.msisdn:
            # A session id belongs to the number that opened it: another number can neither
            # continue nor end it (a USSD sessionId or a call id is not a secret).
            self.log.warning("%s input for %s from another number refused", inbound.channel, inbound.key)
            self.emit(EngineEvent("failed", inbound.key, inbound.channel, data={"reason": "foreign"}))
            flow = next(iter(self.registry.current.values()))
            locale = inbound.locale or flow.locale
            text = flow.message("session_expired", inbound.channel, locale, {})
            return [Reply(inbound.channel, inbound.msisdn, text, locale)]
        if session is not None and session.queued:
            # A ticket answers one report, whatever comes: its end was logged with the transfer.
            await self.store.delete(inbound.key)
            if inbound.event != "begin":
                return self._agent_report(inbound, session, now)
            session = None
        if inbound.event == "transfer_result":  # no transfer of this call waits for a report
            return [Reply(inbound.channel, inbound.msisdn, "", session.locale if session else "zh")]
        if inbound.event == "end":
            if session is not None:
                await self.store.delete(inbound.key)
                self._ended(session, "abort", now)
            return [Reply(inbound.channel, inbound.msisdn, "", session.locale if session else "zh")]
        if session is not None and inbound.event == "begin":
            await self.store.delete(inbound.key)
            self._ended(session, "replaced", now)
            session = None
        if inbound.channel == "sms":
            return await self._sms(inbound, session, now)
        if session is None:
            return await self._begin(inbound, now)
        return await self._continue(inbound, session, now)

    async def _sms(self, inbound: Inbound, session: Session | None, now: float) -> list[Reply]:
        """SMS: keywords start flows any time, except while a state waits for typed input."""
        flow = self.registry.get(session.flow, session.version) if session else None
        node = flow.nodes.get(session.state) if flow and session else None
        if session is not None and node is not None and node.kind.holds_text:
            return await self._continue(inbound, session, now)
        route = self.router.sms_keyword(inbound.text)
        if route is not None:
            return await self._start(inbound, route, now, replaces=session)
        if session is not None:
            return await self._continue(inbound, session, now)
        default = self.router.default("sms")
        if default is None:
            return [self._say(inbound, "no_service")]
        current = self.registry.current[default.flow]
        cmd = normalize_command(inbound.text)
        confirm = {normalize_command(t) for t in (*current.spec.confirm.yes, *current.spec.confirm.no)}
        locale = await self._locale(inbound, current)
        key = "no_pending" if cmd in confirm else "unknown_command"
        prefix = current.message(key, "sms", locale, {})
        return await self._start(inbound, default, now, prefix=prefix)

    async def _begin(self, inbound: Inbound, now: float) -> list[Reply]:
        if inbound.channel == "ussd":
            route = self.router.ussd_code(inbound.service_code)
        else:
            route = self.router.ivr_number(inbound.service_code) if inbound.service_code else None
        route = route or self.router.default(inbound.channel)
        if route is None:
            return [self._say(inbound, "no_service")]
        if inbound.event == "input" and inbound.channel == "ussd" and inbound.text:
            flow = self.registry.current[route.flow]
            locale = await self._locale(inbound, flow)
            return [Reply("ussd", inbound.msisdn, flow.message("session_expired", "ussd", locale, {}), locale)]
        return await self._start(inbound, route, now)

    async def _locale(self, inbound: Inbound, flow: CompiledFlow) -> str:
        if inbound.locale in flow.spec.locales:
            return inbound.locale
        if self.world.locale_changed:  # a flow switched someone's language: ask the profile again
            for msisdn in self.world.locale_changed:
                self._locales.pop(msisdn, None)
            self.world.locale_changed.clear()
        cached = self._locales.get(inbound.msisdn)
        if cached is None and self._locale_lookup is not None and self.clock.now() >= self._lookups_paused_until:
            try:
                async with asyncio.timeout(min(LOCALE_WAIT, self.call_timeout)):
                    cached = await self._locale_lookup(inbound.msisdn) or flow.locale
            except TimeoutError:
                self.log.warning("profile look-up over %.0f ms: skipped for %.0f s", LOCALE_WAIT * 1000, LOCALE_PAUSE)
                self._lookups_paused_until = self.clock.now() + LOCALE_PAUSE
                return flow.locale
            except Exception:  # the language lookup is best effort
                cached = flow.locale
            if len(self._locales) > LOCALE_CACHE:
                self._locales.clear()
            self._locales[inbound.msisdn] = cached
        return cached if cached in flow.spec.locales else flow.locale

    async def _start(self, inbound: Inbound, route: Route, now: float, prefix: str = "",
                     replaces: Session | None = None) -> list[Reply]:
        flow = self.registry.current[route.flow]
        locale = await self._locale(inbound, flow)
        session = Session(inbound.key, inbound.msisdn, inbound.channel, flow.id, flow.version,
                          flow.spec.entry, locale, now)
        if replaces is not None:  # a keyword restarts the conversation: the store expects its revision
            session.rev = replaces.rev
            self._ended(replaces, "replaced", now)
        turn = Turn(self.world, session, flow, now)
        turn.source = inbound.source
        if prefix:
            turn.say(prefix)
        if self.observers:
            self.emit(EngineEvent("session", session.key, session.channel, flow.id, flow.version,
                                  route.state or flow.spec.entry, {}, session.msisdn, now, now))
        await turn.start_at(route.state or flow.spec.entry)
        for digit in route.path:
            if turn.ended or turn.wait is None:
                break
            turn.out.clear()  # a shortcut shows only where it lands
            turn.audio.clear()
            turn.recorded = True
            await turn.feed(digit)
        return await self._finish(inbound, turn)

    async def _continue(self, inbound: Inbound, session: Session, now: float) -> list[Reply]:
        flow = self.registry.get(session.flow, session.version)
        if flow is None or session.state not in flow.nodes:
            await self.store.delete(session.key)
            self._ended(session, "replaced", now)
            route = self.router.default(inbound.channel)
            if route is None:
                return [self._say(inbound, "no_service")]
            return await self._start(inbound, route, now)
        turn = Turn(self.world, session, flow, now)
        turn.source = inbound.source
        node = turn.node
        if self.observers:
            self.emit(EngineEvent("input", session.key, session.channel, session.flow, session.version,
                                  session.state,
                                  {"text": node.kind.shown_input(node, inbound.text), "event": inbound.event},
                                  session.msisdn, now, session.created))
        if inbound.event == "noinput":
            await turn.noinput()
            return await self._finish(inbound, turn)
        text = inbound.text.strip()
        if paging.turn_page(flow, session, text):
            return await self._finish(inbound, turn, paged=True)
        if node.waiting and node.kind.navigable(node) and await self._navigate(turn, text):
            return await self._finish(inbound, turn)
        if not node.waiting:  # an ended conversation kept alive only for its pages
            turn.say_msg("goodbye")
            turn.end()
            return await self._finish(inbound, turn)
        await turn.feed(text)
        return await self._finish(inbound, turn)

    async def _navigate(self, turn: Turn, text: str) -> bool:
        """Main menu, back, repeat and agent keys, which act in every waiting state."""
        s, flow = turn.session, turn.flow
        nav = flow.nav[s.channel]
        if text in nav.main:
            root = self._root(s)  # before goto_root clears the stack that names it
            if root is None:  # a restart on flow files without the outermost flow: as a return to it does
                turn.say_msg("busy")
                turn.end()
            else:
                await turn.goto_root(root)
        elif text in nav.back:
            await turn.goto(flow.parent.get(s.state, flow.spec.entry))
        elif text in nav.repeat:
            turn.prompt(turn.node)
        elif text in nav.agent and s.channel == "ivr" and turn.agent() is not None:
            turn.to_agent()
        else:
            return False
        return True

    def _agent_report(self, inbound: Inbound, session: Session, now: float) -> list[Reply]:
        """The IVR's word on a transfer with a wait threshold: no agent took the call → the busy SMS.

        Anything else (an agent answered, the caller hung up, an input the platform should not
        have sent) only closes the ticket: the gateway hangs up on the empty answer.
        """
        flow = self.registry.get(session.flow, session.version)
        if inbound.event != "transfer_result" or inbound.text not in UNREACHED or flow is None:
            return [Reply(inbound.channel, inbound.msisdn, "", session.locale)]
        turn = Turn(self.world, session, flow, now)
        turn.agent_unreached(inbound.text, now - session.queued)
        return self._replies(turn, self._said(turn), None)

    def _ended(self, s: Session, reason: str, now: float) -> None:
        """A session is over (see ``engine.ports.events`` for the reasons)."""
        if self.observers:
            self.emit(EngineEvent("end", s.key, s.channel, s.flow, s.version, s.state, {"reason": reason},
                                  s.msisdn, now, s.created))

    def _root(self, session: Session) -> CompiledFlow | None:
        """The outermost flow of the session: the first caller on the stack, else its own flow."""
        if session.stack:
            flow_id, version, _ = session.stack[0]
        else:
            flow_id, version = session.flow, session.version
        return self.registry.get(flow_id, version)

    # -- the reply ---------------------------------------------------------------
    async def _finish(self, inbound: Inbound, turn: Turn, paged: bool = False) -> list[Reply]:
        s = turn.session
        if paged:
            text, wait = paging.shown_page(s, None)
        else:
            text, wait = self._said(turn), turn.wait
            if s.channel == "ussd":
                text, wait = paging.first_page(turn.flow, s, text, wait)
        turn.wipe_secrets()
        s.updated = turn.now
        transfer = turn.transfer_to
        if wait is None and transfer is not None and transfer.max_wait is not None:
            # The IVR will report how the transfer went: the session stays as the ticket for that report.
            s.queued = turn.now
            await self.store.put(s, transfer.max_wait + REPORT_GRACE)
            self._ended(s, "transfer", turn.now)
        elif wait is None:
            await self.store.delete(s.key)
            self._ended(s, "transfer" if transfer else "done", turn.now)
        else:
            await self.store.put(s, self.ttl.get(s.channel, 600.0))
        return self._replies(turn, text, wait, paged)

    @staticmethod
    def _said(turn: Turn) -> str:
        """The turn's parts as one text: lines on screens, one flow of speech on the IVR."""
        s = turn.session
        sep = "\n" if s.channel != "ivr" else "" if s.locale == "zh" else " "
        return sep.join(turn.out)

    @staticmethod
    def _replies(turn: Turn, text: str, wait: Wait | None, paged: bool = False) -> list[Reply]:
        s = turn.session
        audio = tuple(turn.audio) if turn.recorded and not paged else ()
        reply = Reply(s.channel, s.msisdn, text, s.locale, wait, audio, turn.transfer_to,
                      meta={"flow": s.flow, "version": s.version, "state": s.state})
        return [reply, *turn.pushes]
