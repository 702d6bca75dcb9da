"""A ``call`` state: one backend operation, with its deadline, secrets and failure branches.

A slow, failing or crashing backend becomes a branch of the flow or a friendly
"system busy"; it never reaches the subscriber as a traceback.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from engine.backend.base import BackendFailure, BackendTimeout, BackendUnavailable, CallContext
from engine.events import MASK
from engine.flow import Node

if TYPE_CHECKING:
    from engine.turn_core import TurnCore


async def call_state(turn: TurnCore, node: Node) -> str | None:
    st = node.spec
    s = turn.session
    ctx = turn.ctx()
    params = {k: tpl.render(ctx) for k, tpl in node.params.items()}
    info = turn.engine.operations.get(st.op)
    if info is not None and not info.idempotent and "idempotency_key" not in params:
        # one key per confirmed transaction: a retry of this call repeats it, the next turn does not
        params["idempotency_key"] = f"{s.key}:{int(s.created * 1000)}:{s.rev}:{node.name}"
    secret = set(info.secret_params) if info else set()
    secret |= {k for k, tpl in node.params.items() if any(v in tpl.source for v in turn.flow.secrets)}
    shown = {k: (MASK if k in secret else v) for k, v in params.items()}
    cctx = CallContext(s.msisdn, s.channel, s.key, s.locale)
    started = time.perf_counter()
    try:
        if info is None:
            raise BackendUnavailable(f"operation {st.op!r} is not offered by the backend")
        data = await asyncio.wait_for(turn.engine.backend.call(st.op, params, cctx), turn.engine.call_timeout)
    except TimeoutError:
        return _failed(turn, node, BackendTimeout("timed out"), shown, started)
    except BackendFailure as exc:
        return _failed(turn, node, exc, shown, started)
    except Exception as exc:  # a broken backend must not reach the subscriber
        turn.engine.log.exception("backend %s crashed", st.op)
        return _failed(turn, node, BackendUnavailable(type(exc).__name__), shown, started)
    ms = (time.perf_counter() - started) * 1000
    secret_results = set(getattr(info, "secret_results", ()) or ())
    turn.emit("call", op=st.op, params=shown, ok=True, ms=round(ms, 2),
              result={k: (MASK if k in secret_results else v) for k, v in data.items()})
    if secret_results:
        turn.engine.note_secret(s, secret_results, st.result)
    if st.result:
        s.vars[st.result] = data
    else:
        s.vars.update(data)
    turn.changed()
    return st.goto  # type: ignore[no-any-return]


def _failed(turn: TurnCore, node: Node, exc: BackendFailure, shown: dict[str, Any], started: float) -> str | None:
    st = node.spec
    ms = (time.perf_counter() - started) * 1000
    turn.emit("call", op=st.op, params=shown, ok=False, ms=round(ms, 2), failure=exc.kind, code=exc.code)
    turn.session.vars["error_code"] = exc.code or exc.kind
    turn.changed()
    if exc.kind == "business":
        target = st.errors.get(exc.code) or st.error
        if target:
            return target  # type: ignore[no-any-return]
        turn.say_msg("business_error")
        turn.end()
        return None
    target = (st.timeout if exc.kind == "timeout" else None) or st.unavailable
    if target:
        return target  # type: ignore[no-any-return]
    turn.say_msg("busy")
    turn.end()
    return None
