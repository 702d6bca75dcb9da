"""The engine: route an Inbound to its session, run one turn, save, answer.

It holds no protocol knowledge and does no I/O of its own beyond its ports
(Backend, SessionStore); gateways call ``handle`` and deliver the replies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from engine.backend.base import Backend, OperationInfo
from engine.channels import PROFILES
from engine.clock import Clock, SystemClock
from engine.events import EngineEvent, Observer
from engine.flow import CompiledFlow
from engine.registry import FlowRegistry, Route, normalize_command
from engine.render import msg, page_footers, paginate
from engine.session import Session
from engine.store.base import SessionBusy, SessionStore, StaleSession, StoreUnavailable
from engine.turn import Turn
from engine.types import Inbound, Reply, Wait

LocaleLookup = Callable[[str], Awaitable[str | None]]

#: Session variables the engine keeps for USSD pagination of one reply.
PAGES, PAGE_END = "_pg", "_pe"


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
    ) -> None:
        self.registry = registry
        self.backend = backend
        self.store = store
        self.clock = clock or SystemClock()
        self.ttl = {ch: p.session_ttl for ch, p in PROFILES.items()} | dict(ttl or {})
        self.call_timeout = call_timeout
        self.operations: Mapping[str, OperationInfo] = backend.operations()
        self.observers: list[Observer] = []
        self.log = logging.getLogger("menuflow.engine")
        self._locale_lookup = locale_lookup
        self._locales: dict[str, str] = {}

    # -- observers ---------------------------------------------------------------
    def emit(self, event: EngineEvent) -> None:
        """Deliver to observers; callers building costly events check ``self.observers`` first."""
        for obs in self.observers:
            try:
                obs(event)
            except Exception:  # an observer must never break a conversation
                self.log.exception("observer failed")

    def note_secret(self, session: Session, names: set[str], under: str | None) -> None:
        """Secret call results live for this turn only (``_finish`` wipes them) and are masked in events."""
        session.vars.setdefault("_secret", [])
        session.vars["_secret"].extend(f"{under}.{n}" if under else n for n in names)

    def forget_locale(self, msisdn: str) -> None:
        self._locales.pop(msisdn, None)

    def within_hours(self, hours: str, now: float) -> bool:
        """``08:00-22:00`` in the server's local time."""
        start, end = hours.split("-")
        t = time.localtime(now)
        hhmm = f"{t.tm_hour:02d}:{t.tm_min:02d}"
        return start <= hhmm < end

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
            self.emit(EngineEvent("failed", inbound.key, inbound.channel, data={"reason": reason}))
        locale = inbound.locale or "zh"
        flow = next(iter(self.registry.current.values()), None)
        text = msg(flow, "busy", inbound.channel, locale, {}) if flow else "系统繁忙，请稍后再试。"
        return Reply(inbound.channel, inbound.msisdn, text, locale)

    async def _handle(self, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        session = await self.store.get(inbound.key)
        if inbound.event == "end":
            if session is not None:
                await self.store.delete(inbound.key)
                self.emit(EngineEvent("end", inbound.key, inbound.channel, session.flow, session.version,
                                      session.state, {"reason": "abort"}))
            return [Reply(inbound.channel, inbound.msisdn, "", session.locale if session else "zh")]
        if session is not None and inbound.event == "begin":
            await self.store.delete(inbound.key)
            session = None
        if inbound.channel == "sms":
            return await self._sms(inbound, session, now)
        if session is None:
            return await self._begin(inbound, now)
        return await self._continue(inbound, session, now)

    async def _sms(self, inbound: Inbound, session: Session | None, now: float) -> list[Reply]:
        """SMS: keywords start flows any time, except while a state waits for typed input."""
        cmd = normalize_command(inbound.text)
        flow = self.registry.get(session.flow, session.version) if session else None
        node = flow.nodes.get(session.state) if flow and session else None
        if session is not None and node is not None and node.kind in ("input", "confirm"):
            return await self._continue(inbound, session, now)
        route = self.registry.sms.get(cmd)
        if route is not None:
            return await self._start(inbound, route, now, replaces=session)
        if session is not None:
            return await self._continue(inbound, session, now)
        default = self.registry.default_route("sms")
        if default is None:
            return [self._fatal(inbound)]
        current = self.registry.current[default.flow]
        confirm = {normalize_command(t) for t in (*current.spec.confirm.yes, *current.spec.confirm.no)}
        locale = await self._locale(inbound, current)
        key = "no_pending" if cmd in confirm else "unknown_command"
        prefix = msg(current, key, "sms", locale, {})
        return await self._start(inbound, default, now, prefix=prefix)

    async def _begin(self, inbound: Inbound, now: float) -> list[Reply]:
        if inbound.channel == "ussd":
            route = self.registry.route_ussd(inbound.service_code)
        else:
            route = self.registry.route_ivr(inbound.service_code) if inbound.service_code else None
        if route is None and inbound.channel == "ivr":
            route = self.registry.default_route("ivr")
        if route is None:
            flow = next(iter(self.registry.current.values()))
            locale = inbound.locale or flow.locale
            return [Reply(inbound.channel, inbound.msisdn, msg(flow, "session_expired", inbound.channel, locale, {}),
                          locale)]
        if inbound.event == "input" and inbound.channel == "ussd" and inbound.text:
            flow = self.registry.current[route.flow]
            locale = await self._locale(inbound, flow)
            text = msg(flow, "session_expired", "ussd", locale, {})
            return [Reply("ussd", inbound.msisdn, text, locale)]
        return await self._start(inbound, route, now)

    async def _locale(self, inbound: Inbound, flow: CompiledFlow) -> str:
        if inbound.locale in flow.spec.locales:
            return inbound.locale
        cached = self._locales.get(inbound.msisdn)
        if cached is None and self._locale_lookup is not None:
            try:
                cached = await self._locale_lookup(inbound.msisdn) or flow.locale
            except Exception:  # the language lookup is best effort
                cached = flow.locale
            if len(self._locales) > 100_000:
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
        turn = Turn(self, session, flow, now)
        if prefix:
            turn.say(prefix)
        if self.observers:
            self.emit(EngineEvent("session", session.key, session.channel, flow.id, flow.version, flow.spec.entry,
                                  {"msisdn": session.msisdn}))
        target = route.state or flow.spec.entry
        if target != flow.spec.entry:
            flow.machine.set_state(target, model=session)
        await turn.enter_first()
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
            route = self.registry.default_route(inbound.channel) or Route(next(iter(self.registry.current)), None)
            return await self._start(inbound, route, now)
        turn = Turn(self, session, flow, now)
        if self.observers:
            self.emit(EngineEvent("input", session.key, session.channel, session.flow, session.version,
                                  session.state,
                                  {"text": self._shown_input(flow, session, inbound.text), "event": inbound.event}))
        if inbound.event == "noinput":
            await turn.noinput()
            return await self._finish(inbound, turn)
        text = inbound.text.strip()
        if self._paging(turn, text):
            return await self._finish(inbound, turn, paged=True)
        node = turn.node
        nav = flow.nav[session.channel]
        if node.waiting and not (node.kind == "input" and node.spec.secret):
            if text in nav.main:
                session.stack.clear()
                root = self._root(session)
                await turn.goto_root(root)
                return await self._finish(inbound, turn)
            if text in nav.back:
                await turn.goto(flow.parent.get(session.state, flow.spec.entry))
                return await self._finish(inbound, turn)
            if text in nav.repeat:
                turn.prompt(node)
                return await self._finish(inbound, turn)
            if text in nav.agent and session.channel == "ivr" and turn.agent() is not None:
                turn.to_agent()
                return await self._finish(inbound, turn)
        if not node.waiting:  # an ended conversation kept alive only for its pages
            turn.say_msg("goodbye")
            turn.end()
            return await self._finish(inbound, turn)
        await turn.feed(text)
        return await self._finish(inbound, turn)

    def _root(self, session: Session) -> CompiledFlow:
        if session.stack:
            flow_id, version, _ = session.stack[0]
        else:
            flow_id, version = session.flow, session.version
        root = self.registry.get(flow_id, version)
        assert root is not None
        return root

    def _shown_input(self, flow: CompiledFlow, session: Session, text: str) -> str:
        node = flow.nodes.get(session.state)
        if node is not None and node.kind == "input" and node.spec.secret:
            return "******"
        return text

    def _paging(self, turn: Turn, text: str) -> bool:
        s = turn.session
        pages = s.vars.get(PAGES)
        if not pages:
            return False
        nav = turn.flow.nav[s.channel]
        if text in nav.more and s.page < len(pages) - 1:
            s.page += 1
        elif text in nav.back and s.page > 0:
            s.page -= 1
        else:
            s.vars.pop(PAGES, None)
            s.vars.pop(PAGE_END, None)
            s.page = 0
            return False
        return True

    # -- the reply ---------------------------------------------------------------
    async def _finish(self, inbound: Inbound, turn: Turn, paged: bool = False) -> list[Reply]:
        s = turn.session
        sep = "\n" if s.channel != "ivr" else "" if s.locale == "zh" else " "
        if paged:
            pages: list[str] = s.vars[PAGES]
            text = pages[s.page]
            last = s.page == len(pages) - 1
            wait: Wait | None = Wait("choice", max_digits=2)
            if last and s.vars.get(PAGE_END):
                wait = None
            elif last:
                wait = turn.wait or Wait("choice", max_digits=2)
        else:
            text = sep.join(turn.out)
            wait = turn.wait
            if s.channel == "ussd":
                text, wait = self._paginate(turn, text, wait)
        for key in s.vars.pop("_secret", ()) if "_secret" in s.vars else ():
            head, _, tail = key.partition(".")
            if tail and isinstance(s.vars.get(head), dict):
                s.vars[head].pop(tail, None)
            else:
                s.vars.pop(head, None)
        s.updated = turn.now
        if wait is None:
            await self.store.delete(s.key)
            self.emit(EngineEvent("end", s.key, s.channel, s.flow, s.version, s.state,
                                  {"reason": "transfer" if turn.transfer else "done"}))
        else:
            await self.store.put(s, self.ttl.get(s.channel, 600.0))
        audio = tuple(turn.audio) if turn.recorded and not paged else ()
        reply = Reply(s.channel, s.msisdn, text, s.locale, wait, audio, turn.transfer,
                      meta={"flow": s.flow, "version": s.version, "state": s.state})
        return [reply, *turn.pushes]

    def _paginate(self, turn: Turn, text: str, wait: Wait | None) -> tuple[str, Wait | None]:
        s = turn.session
        pages = paginate(text, *page_footers(turn.flow, s.locale))
        s.vars.pop(PAGES, None)
        s.vars.pop(PAGE_END, None)
        s.page = 0
        if len(pages) == 1:
            return text, wait
        s.vars[PAGES] = list(pages)
        if wait is None:
            s.vars[PAGE_END] = True
            turn.ended = False
        return pages[0], Wait("choice", max_digits=2)
