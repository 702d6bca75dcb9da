"""``menuflow serve``: settings → engine → channel gateways, running until stopped.

One process holds one engine (flows, backend, store) and every listener it
was asked for. Pushes (an SMS sent during a USSD or IVR session) go to the
SMPP outbox when a bind is configured, else they are logged without their
text (it may carry a one-time code); /metrics counts pushes either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry

from app.admin import add_admin_routes
from app.exposure import check_agi_exposure, check_webhook_exposure
from app.metrics import EngineMetrics, EventLogCollector
from engine.clock import SystemClock
from engine.events.loader import open_event_log
from engine.events.log import EventLog
from engine.events.postgres import redact
from engine.flow.diagnostics import FlowError
from engine.flow.registry import flow_files
from engine.ports.limits import RateLimiter
from engine.ports.shared import SharedState
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.store.limits import open_rate_limiter
from engine.store.loader import is_redis_url, open_store
from engine.store.memory import MemoryStore
from engine.store.redis_inbox import RedisInbox
from engine.store.redis_outbox import RedisOutbox
from engine.store.shared import open_shared_state
from engine.types import Handler, Inbound, Reply
from gateways.http_app import create_http_app
from gateways.http_input import is_loopback, token_guard
from gateways.ivr.fastagi import AgiServer, start_agi
from gateways.ivr.options import ivr_options_from_args, parse_agi_address
from gateways.ivr.twiml import add_twiml_routes
from gateways.ivr.vxml import add_vxml_routes
from gateways.ratelimit import limits_from_args, rate_limited
from gateways.sms.metrics import SmsCollector
from gateways.sms.options import SmppOptions, smpp_options_from_args
from gateways.sms.outbox import MtItem
from gateways.sms.service import SmsService
from gateways.ussd.http import add_ussd_routes
from gateways.ussd.options import ussd_options_from_args
from gateways.ussd.progress_redis import RedisProgressStore
from gateways.ussd.smpp import UssdSmppGateway
from gateways.ussd.smpp_options import ussd_smpp_options_from_args

if TYPE_CHECKING:
    from simulator.smsc import SmscSimulator

log = logging.getLogger("menuflow.serve")

DEMO_SMSC = ("127.0.0.1", 2775)
DEMO_HTTP = ("127.0.0.1", 8080)
DEMO_AGI = ("127.0.0.1", 4573)


@dataclass
class Running:
    engine: Engine
    #: The engine's handler behind the per-number channel limits (gateways.ratelimit).
    gate: Handler
    limiter: RateLimiter
    runners: list[web.AppRunner] = field(default_factory=list)
    agi: AgiServer | None = None
    #: The first SMPP bind (USSD on the same bind uses it); ``binds`` holds all of them.
    sms: SmsService | None = None
    binds: list[SmsService] = field(default_factory=list)
    outboxes: list[RedisOutbox[MtItem]] = field(default_factory=list)
    inboxes: list[RedisInbox] = field(default_factory=list)
    progress: RedisProgressStore | None = None
    shared: SharedState | None = None
    ussd_smpp: UssdSmppGateway | None = None
    smsc: SmscSimulator | None = None
    events: EventLog | None = None
    addresses: dict[str, str] = field(default_factory=dict)


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.metrics = CollectorRegistry()
        self.running: Running | None = None
        self._mtimes: dict[str, float] = {}
        self._next_bind = 0

    # -- handler wiring ------------------------------------------------------------
    async def push(self, reply: Reply) -> None:
        run = self.running
        assert run is not None
        if run.binds:
            self._next_bind = (self._next_bind + 1) % len(run.binds)
            await run.binds[self._next_bind].send(reply)
            return
        log.info("SMS push to %s not sent (%d chars): no --smpp bind configured", reply.msisdn, len(reply.text))

    async def handle(self, inbound: Inbound) -> list[Reply]:
        run = self.running
        assert run is not None
        replies = await run.gate(inbound)
        for extra in replies[1:]:
            try:
                await self.push(extra)
            except Exception:  # a failed push must not lose the answer
                log.exception("push to %s failed", extra.msisdn)
        return replies

    # -- reload --------------------------------------------------------------------
    def reload(self) -> list[str]:
        """Load new flow versions; live sessions keep theirs. Returns problems (empty = ok)."""
        assert self.running is not None
        try:
            warnings = self.running.engine.registry.load()
        except FlowError as exc:
            for d in exc.diagnostics:
                log.error("reload refused: %s", d)
            return [str(d) for d in exc.diagnostics]
        except Exception as exc:  # whatever a file does, the running flows stay and the server lives
            log.error("reload refused: %s", type(exc).__name__)
            return [f"reload failed: {type(exc).__name__}"]
        for w in warnings:
            log.warning("%s", w)
        versions = {fid: f.version for fid, f in self.running.engine.registry.current.items()}
        log.info("flows reloaded: %s", versions)
        return []

    def _scan(self) -> bool:
        mtimes = {}
        for path in flow_files([self.args.flows]):
            with contextlib.suppress(OSError):
                mtimes[path] = os.stat(path).st_mtime
        changed = bool(self._mtimes) and mtimes != self._mtimes
        self._mtimes = mtimes
        return changed

    async def _purge(self, store: MemoryStore, interval: float = 30.0) -> None:
        """Abandoned in-memory sessions are dropped on read only; sweep the rest now and then."""
        while True:
            await asyncio.sleep(interval)
            dropped = store.purge()
            if dropped:
                log.debug("dropped %d expired sessions", dropped)

    async def _watch(self, interval: float) -> None:
        """Poll the flow files; a bad file is logged by ``reload`` and the poller keeps going."""
        self._scan()
        while True:
            await asyncio.sleep(interval)
            try:
                if self._scan():
                    self.reload()
            except Exception as exc:
                log.error("flow watcher: %s", type(exc).__name__)

    # -- start / stop ----------------------------------------------------------------
    async def start(self) -> Running:
        args = self.args
        clock = SystemClock()
        store = open_store(args.store, clock)
        limiter = open_rate_limiter(args.store, clock)
        # the USSD gateway and the engine forget a dialog together
        ttl = {"ussd": args.ussd_session_timeout, "sms": args.sms_session_timeout}
        engine = build_engine(args.flows, args.backend, store, clock, call_timeout=args.backend_timeout, ttl=ttl,
                              limits=limiter)
        engine.observers.append(EngineMetrics(self.metrics))
        gate = rate_limited(engine.handle, limiter, limits_from_args(args))
        run = self.running = Running(engine, gate, limiter)
        run.events = await open_event_log(args.events, raw_msisdn=args.events_raw_msisdn)
        if run.events is not None:
            engine.observers.append(run.events)
            self.metrics.register(EventLogCollector(run.events))
            run.addresses["events"] = redact(args.events)
        try:
            await self._start_sms(run)
            await self._start_http(run)
            agi = args.agi or (f"{DEMO_AGI[0]}:{DEMO_AGI[1]}" if args.demo else None)
            if agi:
                host, port = parse_agi_address(agi)
                ivr_opts = ivr_options_from_args(args)
                check_agi_exposure(self.args, host, port, ivr_opts)
                run.agi = await start_agi(self.handle, host, port, ivr_opts, clock, reuse_port=args.reuse_port)
                run.addresses["agi"] = f"agi://{host}:{run.agi.port}"
        except BaseException:  # a listener refused to start: close what did (the event log's writer too)
            await self.stop()
            raise
        return run

    async def _start_sms(self, run: Running) -> None:
        args = self.args
        opts = smpp_options_from_args(args)
        if args.demo and opts is None:
            from simulator.smsc import SmscSimulator

            run.smsc = await SmscSimulator(*DEMO_SMSC).start()
            opts = SmppOptions(host=DEMO_SMSC[0], port=run.smsc.port, system_id="menuflow", password="demo",
                               shortcode=args.sms_shortcode)
            run.addresses["smsc"] = f"smpp://{DEMO_SMSC[0]}:{run.smsc.port} (embedded simulator)"
        ussd_opts = ussd_smpp_options_from_args(args)
        if ussd_opts is not None:
            run.ussd_smpp = UssdSmppGateway(self.handle, self.push, ussd_opts)
        same_bind = run.ussd_smpp is not None and ussd_opts is not None and ussd_opts.same_bind
        if opts is not None:
            hook = run.ussd_smpp.handle if same_bind and run.ussd_smpp is not None else None
            if args.smpp_binds < 1:
                raise ValueError(f"--smpp-binds must be at least 1, got {args.smpp_binds}")
            run.shared = open_shared_state(args.store)
            if not is_redis_url(args.store):
                log.warning("SMS without --store redis://: MOs are acknowledged before they are answered and "
                            "kept in memory only; a crash loses the MOs and MTs in flight")
            for i in range(args.smpp_binds):
                outbox = inbox = None
                if is_redis_url(args.store):
                    # MOs are stored before they are acknowledged, MTs queued by a dying process are sent by another
                    outbox = RedisOutbox(args.store, MtItem)
                    inbox = RedisInbox(args.store, outbox, max_len=opts.inbox_max, claim_idle=opts.claim_idle,
                                       mark_ttl=opts.dedupe_ttl)
                    run.outboxes.append(outbox)
                    run.inboxes.append(inbox)
                service = SmsService(self.handle, opts, outbox=outbox, ussd_handler=hook if i == 0 else None,
                                     shared=run.shared, inbox=inbox)
                await service.start()
                run.binds.append(service)
            run.sms = run.binds[0]
            self.metrics.register(SmsCollector(run.binds))
            binds = f"{args.smpp_binds} binds" if args.smpp_binds > 1 else "bound"
            run.addresses["sms"] = f"{binds} to {opts.host}:{opts.port} as short code {opts.shortcode}"
            if same_bind and run.ussd_smpp is not None:
                run.ussd_smpp.attach(run.sms.submit_fields)
        elif same_bind:
            raise ValueError("--ussd-smpp-same-bind needs an SMS bind (--smpp HOST:PORT or --demo)")
        if run.ussd_smpp is not None:
            await run.ussd_smpp.start()

    async def _start_http(self, run: Running) -> None:
        args = self.args
        ussd = args.ussd_http or (DEMO_HTTP if args.demo else None)
        ivr = args.ivr_http or (DEMO_HTTP if args.demo else None)
        apps: dict[tuple[str, int], web.Application] = {}
        for addr in {a for a in (ussd, ivr, args.metrics) if a}:
            app = apps[addr] = create_http_app(max_body=args.http_max_body, registry=self.metrics)
            add_admin_routes(app, self.reload, os.environ.get("MENUFLOW_ADMIN_TOKEN", ""))
        check_webhook_exposure(self.args, ussd, ivr)
        metrics_token = os.environ.get("MENUFLOW_METRICS_TOKEN", "")
        for (host, port), app in apps.items():
            if metrics_token:
                app.middlewares.append(token_guard("/metrics", metrics_token))
            elif not is_loopback(host):
                log.warning("/metrics on %s:%d answers anyone: set MENUFLOW_METRICS_TOKEN", host, port)
        ussd_token = os.environ.get("MENUFLOW_USSD_WEBHOOK_TOKEN", "")
        if ussd and ussd_token:
            apps[ussd].middlewares.append(token_guard("/ussd", ussd_token))
        if ussd:
            opts = ussd_options_from_args(args)
            run.progress = RedisProgressStore(args.store) if is_redis_url(args.store) else None
            add_ussd_routes(apps[ussd], self.handle, self.push, opts, store=run.progress)
        if ivr:
            ivr_opts = ivr_options_from_args(args)
            add_twiml_routes(apps[ivr], self.handle, ivr_opts)
            add_vxml_routes(apps[ivr], self.handle, ivr_opts)
        for (host, port), app in apps.items():
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, host, port, reuse_port=args.reuse_port or None)
            await site.start()
            run.runners.append(runner)
            bound = runner.addresses[0][1]
            what = [n for n, a in (("ussd", ussd), ("ivr", ivr), ("metrics", args.metrics)) if a == (host, port)]
            for name in what:
                run.addresses[name] = f"http://{host}:{bound}"

    async def stop(self) -> None:
        run = self.running
        if run is None:
            return
        if run.agi is not None:
            await run.agi.close()
        for runner in run.runners:
            await runner.cleanup()
        if run.ussd_smpp is not None:
            await run.ussd_smpp.close()
        for service in run.binds:
            await service.close()
        for outbox in run.outboxes:
            await outbox.close()
        for inbox in run.inboxes:
            await inbox.close()
        if run.progress is not None:
            await run.progress.close()
        if run.shared is not None:
            await run.shared.close()
        if run.smsc is not None:
            await run.smsc.close()
        self.running = None  # stopping twice (after a failed start) is harmless
        if run.events is not None:
            await run.events.close()
        await run.engine.backend.close()
        await run.engine.store.close()
        await run.limiter.close()

    async def serve_forever(self) -> None:
        run = await self.start()
        for name, where in sorted(run.addresses.items()):
            log.info("%s: %s", name, where)
        gc.freeze()  # start-up objects never die: keep them out of every collection (shorter pauses)
        print("menuflow serving: " + ", ".join(f"{k} {v}" for k, v in sorted(run.addresses.items())), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        tasks = [asyncio.create_task(self._watch(self.args.watch))] if self.args.watch else []
        if isinstance(run.engine.store, MemoryStore):
            tasks.append(asyncio.create_task(self._purge(run.engine.store)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await self.stop()
