"""USSD over HTTP: webhook → UssdRequest → Inbound → engine → answer, per dialect.

Dialects only translate wire formats; the rules every dialect must share live
here: one request per session at a time, newest-input extraction for
cumulative texts, repeating the cached answer to a gateway retry, the reply
budget with its SMS follow-up, and the counters.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler as WebHandler

from engine.clock import Clock, SystemClock
from engine.store.keyed_locks import KeyedLocks
from engine.types import Event, Handler, Inbound, PushSink
from gateways.http_app import metrics_registry
from gateways.ussd.cumulative import fingerprint, newest_input
from gateways.ussd.deadline import DeadlineRunner
from gateways.ussd.dialects import RequestError, UssdAnswer, UssdDialect, UssdRequest, get_dialect
from gateways.ussd.metrics import DialectCounters, UssdMetrics
from gateways.ussd.options import UssdOptions
from gateways.ussd.progress import ProgressStore, SessionProgress
from gateways.ussd.progress_memory import MemoryProgressStore
from gateways.ussd.texts import gateway_text

log = logging.getLogger("menuflow.ussd")


class UssdGateway:
    """Serves every mounted dialect; one instance per application."""

    def __init__(
        self,
        handler: Handler,
        push: PushSink,
        opts: UssdOptions,
        metrics: UssdMetrics,
        store: ProgressStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.opts = opts
        self.metrics = metrics
        self.clock = clock or SystemClock()
        self.store: ProgressStore = store if store is not None else MemoryProgressStore(self.clock)
        self.runner = DeadlineRunner(handler, push, opts.budget)
        self._handler = handler
        #: One request per session at a time (a retry waits, then hits the cache).
        self.locks = KeyedLocks()

    def web_handler(self, dialect: UssdDialect) -> WebHandler:
        async def handle(request: web.Request) -> web.StreamResponse:
            counters = self.metrics.of(dialect.name)
            counters.requests.inc()
            parsed = await dialect.parse(request, self.opts.country_code)
            if isinstance(parsed, RequestError):
                counters.rejected.inc()
                return dialect.render_error(parsed)
            key = f"{dialect.name}:{parsed.session_id}"
            try:
                async with self.locks.hold(key):
                    progress = await self.store.get(key)
                    if progress is not None and progress.msisdn != parsed.msisdn:
                        # the session id belongs to the number that dialled: no one else continues or ends it
                        counters.rejected.inc()
                        log.warning("ussd %s session %s: request from another number refused", dialect.name,
                                    parsed.session_id)
                        if parsed.kind == "abort":
                            return dialect.render_ack(parsed.session_id)
                        text = gateway_text("expired", self.opts.locale)
                        return dialect.render(UssdAnswer(parsed.session_id, text, more=False))
                    if parsed.kind == "abort":
                        await self._abort(parsed, progress, key)
                        return dialect.render_ack(parsed.session_id)
                    answer = await self._step(parsed, progress, key)
            except Exception as exc:
                # A broken store must not become a 500 the subscriber sees as a network error.
                sid, kind = parsed.session_id, type(exc).__name__
                counters.unavailable.inc()
                log.error("ussd %s session %s failed: %s", dialect.name, sid, kind)
                text = gateway_text("unavailable", self.opts.locale)
                answer = UssdAnswer(parsed.session_id, text, more=False)
            return dialect.render(answer)

        return handle

    async def _step(self, req: UssdRequest, progress: SessionProgress | None, key: str) -> UssdAnswer:
        counters = self.metrics.of(req.dialect)
        retry_key = fingerprint(req.retry_key) if req.retry_key is not None else None
        if progress is not None and retry_key is not None and progress.retry_key == retry_key:
            counters.retries.inc()
            return UssdAnswer(req.session_id, progress.text, progress.more)
        locale = progress.locale if progress is not None else self.opts.locale
        if req.kind != "begin" and progress is not None and not progress.more:
            counters.expired.inc()
            return UssdAnswer(req.session_id, gateway_text("expired", locale), more=False)
        # Africa's Talking's retry key is the cumulative text itself: one HMAC serves both (~5 µs a request)
        same = retry_key if req.retry_key == req.text else None
        inbound, consumed = self._inbound(req, progress, counters, same)
        outcome = await self.runner.run(inbound, locale)
        if outcome.reply is not None:
            answer = UssdAnswer(req.session_id, outcome.reply.text, more=not outcome.reply.end)
            locale = outcome.reply.locale
        elif outcome.kind == "late":
            counters.fallbacks.inc()
            answer = UssdAnswer(req.session_id, gateway_text("processing", locale), more=False)
        else:
            counters.failures.inc()
            answer = UssdAnswer(req.session_id, gateway_text("unavailable", locale), more=False)
        if not answer.more:
            counters.ended.inc()
        record = SessionProgress(
            req.msisdn, inbound.service_code, consumed, retry_key, answer.text, answer.more, locale
        )
        await self.store.set(key, record, self.opts.session_timeout)
        return answer

    def _inbound(
        self, req: UssdRequest, progress: SessionProgress | None, counters: DialectCounters,
        text_fingerprint: str | None = None,
    ) -> tuple[Inbound, str]:
        """The engine's view of ``req`` and the cumulative text consumed once it is answered
        (``text_fingerprint``: ``fingerprint(req.text)`` when the caller has it already)."""
        event: Event = "begin"
        text = consumed = ""
        if req.kind == "begin":
            counters.begun.inc()
        else:
            # Without a record the engine decides: it knows whether the session still lives.
            event, text = "input", req.text
            if req.cumulative:
                text, extended = newest_input(req.text, progress.consumed if progress else None)
                consumed = text_fingerprint if text_fingerprint is not None else fingerprint(req.text)
                if not extended:
                    counters.resyncs.inc()
        service_code = req.service_code or (progress.service_code if progress is not None else "")
        inbound = Inbound(
            channel="ussd",
            msisdn=req.msisdn,
            text=text,
            event=event,
            session_key=req.session_id,
            service_code=service_code,
            received_at=self.clock.now(),
            meta={"dialect": req.dialect, **req.meta},
        )
        return inbound, consumed

    async def _abort(self, req: UssdRequest, progress: SessionProgress | None, key: str) -> None:
        """The network closed the session: tell the engine unless we know it has ended.

        Without a record (expired, or another worker served the session) the
        engine is told anyway — closing a closed session is harmless — but it
        is not counted as an abort.
        """
        await self.store.delete(key)
        if progress is not None and not progress.more:
            return
        if progress is not None:
            self.metrics.of(req.dialect).aborted.inc()
        inbound = Inbound(
            channel="ussd",
            msisdn=req.msisdn,
            event="end",
            session_key=req.session_id,
            service_code=req.service_code or (progress.service_code if progress else ""),
            received_at=self.clock.now(),
            meta={"dialect": req.dialect, **req.meta},
        )
        await self.runner.close(inbound)


def add_ussd_routes(
    app: web.Application,
    handler: Handler,
    push: PushSink,
    opts: UssdOptions,
    *,
    store: ProgressStore | None = None,
    clock: Clock | None = None,
) -> UssdGateway:
    """Mount ``opts.dialects`` on ``app`` (from ``create_http_app``); drain SMS follow-ups on shutdown."""
    gateway = UssdGateway(handler, push, opts, UssdMetrics(metrics_registry(app)), store, clock)
    for name in opts.dialects:
        dialect = get_dialect(name)
        gateway.metrics.of(dialect.name)  # so /metrics lists every mounted dialect from the start
        for path in dialect.paths:
            app.router.add_post(path, gateway.web_handler(dialect))

    async def drain(_: web.Application) -> None:
        await gateway.runner.drain()

    app.on_shutdown.append(drain)
    return gateway
