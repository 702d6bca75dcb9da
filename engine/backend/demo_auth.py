"""Service-password operations of the demo operator: verify, change, reset by SMS code.

Five wrong passwords in a row lock the account for a day of clock time; a reset
code (valid five minutes, five tries) is the way back in. The failure counter is
written before the error is raised and the backend commits on business errors,
so a wrong guess always counts.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
from typing import Any

from engine.backend.demo_ops import DemoCall, Handler
from engine.backend.demo_seed import hash_secret
from engine.ports.backend import BusinessError

MAX_TRIES = 5
LOCK_SECONDS = 24 * 3600
CODE_SECONDS = 5 * 60
CODE_TRIES = 5


def weakness(password: str) -> str | None:
    """Why a new password is refused, or None. The seed's 123456 predates this rule."""
    if len(password) != 6 or not password.isascii() or not password.isdigit():
        return "must be 6 digits"
    if len(set(password)) == 1:
        return "all digits the same"
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        return "digits in sequence"
    return None


def _check_weak(password: str) -> None:
    reason = weakness(password)
    if reason:
        raise BusinessError(f"weak password: {reason}", code="WEAK_PASSWORD", details={"reason": reason})


def _check_unlocked(call: DemoCall) -> None:
    until = float(call.sub["locked_until"])
    if until > call.now:
        raise BusinessError("account locked", code="LOCKED", details={"seconds_left": int(until - call.now)})


def _matches(call: DemoCall, password: str) -> bool:
    return hmac.compare_digest(hash_secret(call.sub["pw_salt"], password), call.sub["pw_hash"])


def _check_password(call: DemoCall, password: str) -> None:
    """Count a wrong guess (locking on the fifth) or clear the counter."""
    if _matches(call, password):
        call.db.execute("UPDATE subscribers SET pw_failures = 0, locked_until = 0 WHERE msisdn = ?", (call.msisdn,))
        return
    # A lock that has run out starts a fresh count.
    failures = (0 if call.sub["locked_until"] else call.sub["pw_failures"]) + 1
    if failures >= MAX_TRIES:
        call.db.execute(
            "UPDATE subscribers SET pw_failures = 0, locked_until = ? WHERE msisdn = ?",
            (call.now + LOCK_SECONDS, call.msisdn),
        )
        raise BusinessError("account locked", code="LOCKED", details={"seconds_left": LOCK_SECONDS})
    call.db.execute(
        "UPDATE subscribers SET pw_failures = ?, locked_until = 0 WHERE msisdn = ?", (failures, call.msisdn)
    )
    raise BusinessError("wrong password", code="WRONG_PASSWORD", details={"remaining": MAX_TRIES - failures})


def _set_password(call: DemoCall, password: str) -> None:
    salt = secrets.token_hex(8)
    call.db.execute(
        "UPDATE subscribers SET pw_salt = ?, pw_hash = ?, pw_failures = 0, locked_until = 0 WHERE msisdn = ?",
        (salt, hash_secret(salt, password), call.msisdn),
    )


def verify_password(call: DemoCall) -> dict[str, Any]:
    _check_unlocked(call)
    _check_password(call, call.text("password"))
    return {}


def change_password(call: DemoCall) -> dict[str, Any]:
    """Weakness is checked first, so a weak choice never costs a try."""
    _check_unlocked(call)
    new = call.text("new_password")
    _check_weak(new)
    _check_password(call, call.text("old_password"))
    if _matches(call, new):
        raise BusinessError("new password equals the old one", code="SAME_PASSWORD")
    _set_password(call, new)
    return {}


def request_reset_code(call: DemoCall) -> dict[str, Any]:
    """Issue a fresh code (superseding any earlier one); the engine sends it by SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    call.db.execute(
        "INSERT OR REPLACE INTO reset_codes VALUES (?, ?, ?, 0)",
        (call.msisdn, hash_secret(call.msisdn, code), call.now + CODE_SECONDS),
    )
    return {"code": code, "valid_seconds": CODE_SECONDS}


def reset_password(call: DemoCall) -> dict[str, Any]:
    """Set a new password with the SMS code; this also lifts a lock."""
    row = call.db.execute("SELECT * FROM reset_codes WHERE msisdn = ?", (call.msisdn,)).fetchone()
    if row is None or row["expires_at"] <= call.now:
        call.db.execute("DELETE FROM reset_codes WHERE msisdn = ?", (call.msisdn,))
        raise BusinessError("no valid reset code", code="CODE_EXPIRED")
    new = call.text("new_password")
    _check_weak(new)
    if not hmac.compare_digest(hash_secret(call.msisdn, call.text("code")), row["code_hash"]):
        failures = row["failures"] + 1
        if failures >= CODE_TRIES:
            call.db.execute("DELETE FROM reset_codes WHERE msisdn = ?", (call.msisdn,))
        else:
            call.db.execute("UPDATE reset_codes SET failures = ? WHERE msisdn = ?", (failures, call.msisdn))
        raise BusinessError("wrong code", code="WRONG_CODE", details={"remaining": CODE_TRIES - failures})
    call.db.execute("DELETE FROM reset_codes WHERE msisdn = ?", (call.msisdn,))
    _set_password(call, new)
    return {}


HANDLERS: dict[str, Handler] = {
    "verify_password": verify_password,
    "change_password": change_password,
    "request_reset_code": request_reset_code,
    "reset_password": reset_password,
}
