"""Every ``--backend`` spec form builds a working backend; bad ones say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.backend.http import HttpBackend
from engine.backend.loader import BackendSpecError, load_backend
from engine.clock import ManualClock
from engine.ports.backend import Backend, CallContext
from simulator.backend_server import serve_backend

CTX = CallContext(msisdn="8613900139000", channel="ussd", session_id="s-1")


async def _balance(backend: Backend) -> str:
    try:
        return str((await backend.call("balance", {}, CTX))["balance"])
    finally:
        await backend.close()


async def test_demo_in_memory_uses_the_given_clock() -> None:
    clock = ManualClock(start=1_790_000_000.0)
    backend = load_backend("demo", clock=clock)
    assert isinstance(backend, DemoBackend)
    assert (await backend.call("bill", {}, CTX))["month"] == "2026-09"
    assert await _balance(backend) == "120.50"


async def test_demo_file(tmp_path: Path) -> None:
    path = tmp_path / "op.sqlite"
    backend = load_backend(f"demo:{path}")
    await backend.call("topup", {"amount": "9.50", "idempotency_key": "x"}, CTX)
    await backend.close()
    assert path.exists()
    assert await _balance(load_backend(f"demo:{path}")) == "130.00"


async def test_http_declares_the_catalogue() -> None:
    demo = DemoBackend()
    async with serve_backend(demo) as url:
        backend = load_backend(url + "/", timeout=1.0)
        assert isinstance(backend, HttpBackend)
        assert dict(backend.operations()) == dict(OPERATIONS)
        assert await _balance(backend) == "120.50"
    await demo.close()


async def test_python_factory() -> None:
    backend = load_backend("engine.backend.demo:DemoBackend")
    assert isinstance(backend, DemoBackend)
    assert await _balance(backend) == "120.50"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("oracle", "cannot use 'oracle'"),
        ("ftp://boss", "cannot use 'ftp://boss'"),
        ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
        ("engine.backend.demo:missing", "is not a callable"),
        ("builtins:dict", "returned dict, which lacks operations/call/close"),
        ("json:loads", "json:loads() failed: TypeError"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(BackendSpecError) as info:
        load_backend(spec)
    assert message in str(info.value)
