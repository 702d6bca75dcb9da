"""Wire flows, backend and store into an Engine from plain settings."""

from __future__ import annotations

from collections.abc import Sequence

from engine.backend.loader import load_backend
from engine.clock import Clock, SystemClock
from engine.flow.registry import FlowRegistry
from engine.ports.backend import Backend, BackendFailure, CallContext
from engine.ports.limits import RateLimiter
from engine.ports.sessions import SessionStore
from engine.run.engine import Engine, LocaleLookup
from engine.states import LANGUAGE
from engine.store.memory import MemoryStore


def load_registry(flows: str | Sequence[str] = "flows") -> FlowRegistry:
    """Compile every flow file; raises FlowError with all diagnostics on failure."""
    paths = [flows] if isinstance(flows, str) else list(flows)
    registry = FlowRegistry(LANGUAGE, paths)
    registry.load()
    return registry


def profile_locale(backend: Backend) -> LocaleLookup | None:
    """The subscriber's language from the backend's ``profile`` operation, if it has one."""
    if "profile" not in backend.operations():
        return None

    async def lookup(msisdn: str) -> str | None:
        try:
            data = await backend.call("profile", {}, CallContext(msisdn, "", ""))
        except BackendFailure:
            return None
        value = data.get("locale")
        return str(value) if value else None

    return lookup


def build_engine(
    flows: str | Sequence[str] | FlowRegistry = "flows",
    backend: str | Backend = "demo",
    store: SessionStore | None = None,
    clock: Clock | None = None,
    *,
    call_timeout: float = 2.0,
    ttl: dict[str, float] | None = None,
    limits: RateLimiter | None = None,
) -> Engine:
    clock = clock or SystemClock()
    registry = flows if isinstance(flows, FlowRegistry) else load_registry(flows)
    # --backend-timeout is the whole deadline of a call, the HTTP backend's retries included
    be = load_backend(backend, clock=clock, timeout=call_timeout) if isinstance(backend, str) else backend
    lookup = profile_locale(be)
    sessions = store if store is not None else MemoryStore(clock)
    return Engine(registry, be, sessions, clock, call_timeout=call_timeout, ttl=ttl, locale_lookup=lookup,
                  limits=limits)
