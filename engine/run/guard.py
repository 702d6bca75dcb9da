"""The runtime's own check before a backend operation: authentication level and per-number limits.

The operation catalogue, not the flow, says what an operation needs
(``OperationInfo.auth``): a flow that forgets its password check, or sets
``authenticated`` itself, reaches a refusal here instead of the backend. A
successful check (``OperationInfo.grants``) leaves only the level and the time
in the session; the password that proved it is wiped with the turn.

Failed checks are counted per *attempt source* (channel, the gateway's
network origin when it knows one, and the number) and refused after
``SOURCE_TRIES`` within ``SOURCE_WINDOW``: fewer than the backend's own lock
(five wrong passwords lock the account for a day), so a stranger guessing
from one source is stopped before the victim is locked out.
"""

from __future__ import annotations

from engine.ports.backend import OperationInfo, auth_reaches
from engine.ports.limits import RateLimiter
from engine.run.context import TurnContext
from engine.session import Session

SOURCE_TRIES, SOURCE_WINDOW = 3, 3600.0
HOUR = 3600.0


def source_key(session: Session, info: OperationInfo, source: str) -> str:
    return f"fail:{info.name}:{session.channel}:{source or '-'}:{session.msisdn}"


async def refusal(world: TurnContext, session: Session, info: OperationInfo, source: str) -> str | None:
    """The message key of the refusal (``auth_required``, ``too_frequent``), or None to go ahead."""
    if not auth_reaches(session.auth_level, info.auth):
        world.log.warning("%s refused for %s: needs %s, session has %s", info.name, session.key, info.auth,
                          session.auth_level)
        return "auth_required"
    limits: RateLimiter = world.limits
    if info.per_hour and not await limits.allow(f"op:{info.name}:{session.msisdn}", info.per_hour, HOUR):
        return "too_frequent"
    # pragma: no mutate start (equivalent: both limiters read a count without its window)
    if info.grants and await limits.used(source_key(session, info, source), SOURCE_WINDOW) >= SOURCE_TRIES:
        return "too_frequent"
    # pragma: no mutate end
    return None


async def record(world: TurnContext, session: Session, info: OperationInfo, ok: bool, source: str,
                 now: float) -> bool:
    """Note a check's outcome; True when the session's level changed."""
    if info.grants is None:
        return False
    if ok:
        session.auth_level, session.auth_at = info.grants, now
        return True
    await world.limits.allow(source_key(session, info, source), SOURCE_TRIES, SOURCE_WINDOW)
    return False
