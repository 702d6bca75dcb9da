"""The operator's real systems, reached as JSON over HTTP.

Each call is ``POST {base_url}/{operation}`` with a deadline. Only operations
declared idempotent are retried; transactions instead carry an idempotency key
so the operator can drop a duplicate. Whatever goes wrong on the wire becomes a
typed ``BackendFailure`` a flow can branch on. Logs name the operation, the
outcome and the time taken, never parameter values or results (secrets).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from engine.backend.keys import idempotency_key
from engine.ports.backend import (
    AUTH_LEVELS,
    CATEGORIES,
    BackendFailure,
    BackendTimeout,
    BackendUnavailable,
    BusinessError,
    CallContext,
    OperationInfo,
)

log = logging.getLogger(__name__)

OperationsSpec = Iterable[OperationInfo] | Mapping[str, Mapping[str, Any]]
_TUPLE_FIELDS = ("params", "secret_params", "secret_results")
_BOOL_FIELDS = ("paid", "idempotent", "business")
_AUTH_FIELDS = ("auth", "grants")


def parse_operations(spec: OperationsSpec) -> dict[str, OperationInfo]:
    """Accept OperationInfo objects or a config mapping ``{name: {params: [...], paid: bool, ...}}``."""
    if not isinstance(spec, Mapping):
        return {op.name: op for op in spec}
    ops: dict[str, OperationInfo] = {}
    for name, fields in spec.items():
        unknown = set(fields) - {*_TUPLE_FIELDS, *_BOOL_FIELDS, *_AUTH_FIELDS, "per_hour", "category"}
        if unknown:
            raise ValueError(f"operations.{name}: unknown key {sorted(unknown)[0]!r}")
        kwargs: dict[str, Any] = {}
        for key in _TUPLE_FIELDS:
            value = fields.get(key, ())
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"operations.{name}.{key}: expected a list of names, got {value!r}")
            kwargs[key] = tuple(value)
        for key in _BOOL_FIELDS:
            if key in fields and not isinstance(fields[key], bool):
                raise ValueError(f"operations.{name}.{key}: expected true or false, got {fields[key]!r}")
            kwargs[key] = fields.get(key, key == "idempotent")
        for key in _AUTH_FIELDS:
            if key in fields:
                if fields[key] not in AUTH_LEVELS:
                    raise ValueError(f"operations.{name}.{key}: expected one of {', '.join(AUTH_LEVELS)}, "
                                     f"got {fields[key]!r}")
                kwargs[key] = fields[key]
        per_hour = fields.get("per_hour", 0)
        if not isinstance(per_hour, int) or isinstance(per_hour, bool) or per_hour < 0:
            raise ValueError(f"operations.{name}.per_hour: expected a whole number >= 0, got {per_hour!r}")
        kwargs["per_hour"] = per_hour
        category = fields.get("category", "other")
        if category not in CATEGORIES:
            raise ValueError(f"operations.{name}.category: expected one of {', '.join(CATEGORIES)}, got {category!r}")
        kwargs["category"] = category
        ops[name] = OperationInfo(name, **kwargs)
    return ops


class HttpBackend:
    """JSON-over-HTTP backend; see the README's wire format section."""

    def __init__(
        self,
        base_url: str,
        operations: OperationsSpec,
        *,
        timeout: float = 2.0,
        retries: int = 1,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._ops = parse_operations(operations)
        #: The whole deadline of one call, retries included (``--backend-timeout``): a retry gets
        #: what the first attempt left, so a 2 s deadline never becomes 4 s.
        self._deadline = timeout
        self._retries = retries
        self._headers = dict(headers or {})
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._session: aiohttp.ClientSession | None = None

    def operations(self) -> Mapping[str, OperationInfo]:
        return self._ops

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        info = self._ops.get(operation)
        if info is None:
            raise BackendUnavailable(f"unknown operation {operation!r}", code="UNKNOWN_OPERATION")
        body = {
            "msisdn": ctx.msisdn,
            "channel": ctx.channel,
            "session_id": ctx.session_id,
            "locale": ctx.locale,
            # The level the engine checked (see OperationInfo.auth): the backend may insist on it too.
            "auth": ctx.auth,
            "params": dict(params),
            "idempotency_key": None if info.idempotent else idempotency_key(operation, params, ctx),
        }
        payload = json.dumps(body, ensure_ascii=False, default=str).encode()
        attempts = 1 + (self._retries if info.idempotent else 0)
        attempt = 1
        deadline = time.monotonic() + self._deadline
        while True:
            started = time.perf_counter()
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise BackendTimeout(f"{operation}: no answer in {self._deadline:g}s", code="TIMEOUT")
                result = await self._post(operation, payload, left)
            except BusinessError as exc:
                self._log(operation, attempt, started, exc.code)
                raise
            except BackendFailure as exc:
                self._log(operation, attempt, started, exc.code or exc.kind, logging.WARNING)
                if attempt >= attempts or deadline - time.monotonic() <= 0:
                    raise
                attempt += 1
                continue
            self._log(operation, attempt, started, "ok")
            return result

    async def _post(self, operation: str, payload: bytes, seconds: float) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        url = f"{self._base}/{operation}"
        try:
            async with self._session.post(url, data=payload, headers={"Content-Type": "application/json"},
                                          timeout=aiohttp.ClientTimeout(total=seconds)) as resp:
                status, text = resp.status, await resp.text(errors="replace")
        except TimeoutError as exc:
            raise BackendTimeout(f"{operation}: no answer in {self._deadline:g}s", code="TIMEOUT") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise BackendUnavailable(f"{operation}: {type(exc).__name__}", code="CONNECTION") from exc
        return _decode(operation, status, text)

    def _log(self, operation: str, attempt: int, started: float, outcome: str, level: int = logging.DEBUG) -> None:
        """Operation, attempt, outcome and time only: params and results may hold secrets."""
        ms = (time.perf_counter() - started) * 1000
        log.log(level, "backend %s attempt %d: %s in %.1f ms", operation, attempt, outcome, ms)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _decode(operation: str, status: int, text: str) -> dict[str, Any]:
    """Map an HTTP answer onto a result or a typed failure."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if 200 <= status < 300:
        if isinstance(data, dict):
            return data
        raise BackendUnavailable(f"{operation}: answer is not a JSON object", code="BAD_RESPONSE")
    error = data.get("error") if isinstance(data, dict) else None
    if 400 <= status < 500 and status != 404 and isinstance(error, dict) and error.get("code"):
        details = error.get("details")
        raise BusinessError(
            str(error.get("message") or error["code"]),
            code=str(error["code"]),
            details=details if isinstance(details, dict) else None,
        )
    if status == 504:
        raise BackendTimeout(f"{operation}: upstream timed out", code="HTTP_504")
    raise BackendUnavailable(f"{operation}: HTTP {status}", code=f"HTTP_{status}")
