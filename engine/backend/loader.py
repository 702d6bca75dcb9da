"""Turn the ``--backend`` setting into a Backend.

Spec forms:
  ``demo``                     the seeded demo operator, in memory
  ``demo:PATH.sqlite``         the demo operator persisted in a SQLite file
  ``http://host:port/prefix``  JSON over HTTP, declaring the standard operation catalogue
  ``package.module:factory``   any object: ``factory()`` must return a Backend

The HTTP form declares the demo's catalogue so flows lint the same against
either; pass ``operations`` to declare another set.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING

from engine.backend.catalogue import OPERATIONS
from engine.clock import Clock
from engine.ports.backend import Backend

if TYPE_CHECKING:  # aiohttp is imported only when an HTTP backend is asked for
    from engine.backend.http import OperationsSpec

_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class BackendSpecError(ValueError):
    """The ``--backend`` value names nothing we can build."""


def load_backend(
    spec: str,
    *,
    clock: Clock | None = None,
    operations: OperationsSpec | None = None,
    timeout: float = 2.0,
    token: str | None = None,
) -> Backend:
    """Build the backend ``spec`` names; see the module docstring for the forms."""
    spec = spec.strip()
    if spec == "demo" or spec.startswith("demo:"):
        from engine.backend.demo import DemoBackend

        return DemoBackend(spec.partition(":")[2] or None, clock=clock)
    if spec.startswith(("http://", "https://")):
        from engine.backend.http import HttpBackend

        declared = OPERATIONS.values() if operations is None else operations
        return HttpBackend(spec, declared, timeout=timeout, token=token)
    if _FACTORY.match(spec):
        return _from_factory(spec)
    raise BackendSpecError(
        f"backend: cannot use {spec!r}; expected 'demo', 'demo:FILE.sqlite', 'http(s)://...' "
        "or 'package.module:factory'"
    )


def _from_factory(spec: str) -> Backend:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendSpecError(f"backend: cannot import {module_name!r} ({exc})") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise BackendSpecError(f"backend: {spec!r} is not a callable in {module_name!r}")
    try:
        backend = factory()
    except Exception as exc:
        raise BackendSpecError(f"backend: {spec}() failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(backend, Backend):
        raise BackendSpecError(
            f"backend: {spec}() returned {type(backend).__name__}, which lacks operations/call/close"
        )
    return backend
