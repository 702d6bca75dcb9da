"""Service-password operations of the demo operator: verify, change, reset by SMS code.

Five wrong passwords in a row lock the account for a day of clock time; a reset
code (valid five minutes, five tries) is the way back in. Codes (reset, and the
second-factor OTP) are kept only as salted hashes; a reset code checked right
is marked verified here, so the session never has to carry it to the turn that
sets the new password. The failure counter is
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
from engine.ports.backend import AuthLevel, BusinessError, auth_reaches

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


def _require(call: DemoCall, level: AuthLevel) -> None:
    """Defence in depth: the engine already refused a session below ``level``."""
    if not auth_reaches(call.ctx.auth, level):
        raise BusinessError("authentication required", code="AUTH_REQUIRED", details={"needs": level})


def verify_password(call: DemoCall) -> dict[str, Any]:
    _check_unlocked(call)
    _check_password(call, call.text("password"))
    return {}


def change_password(call: DemoCall) -> dict[str, Any]:
    """The old password was proved by ``verify_password`` in this session (see the catalogue)."""
    _require(call, "password")
    _check_unlocked(call)
    new = call.text("new_password")
    _check_weak(new)
    if _matches(call, new):
        raise BusinessError("new password equals the old one", code="SAME_PASSWORD")
    _set_password(call, new)
    return {}


def _issue(call: DemoCall, purpose: str) -> dict[str, Any]:
    """A fresh code for ``purpose`` (superseding any earlier one); the engine sends it by SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    call.db.execute(
        "INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?, 0, 0)",
        (call.msisdn, purpose, hash_secret(call.msisdn + purpose, code), call.now + CODE_SECONDS),
    )
    return {"code": code, "valid_seconds": CODE_SECONDS}


def _check_code(call: DemoCall, purpose: str) -> None:
    """The typed code against the stored hash: five wrong tries spend it."""
    where = "WHERE msisdn = ? AND purpose = ?"
    row = call.db.execute(f"SELECT * FROM codes {where}", (call.msisdn, purpose)).fetchone()
    if row is None or row["expires_at"] <= call.now:
        call.db.execute(f"DELETE FROM codes {where}", (call.msisdn, purpose))
        raise BusinessError("no valid code", code="CODE_EXPIRED")
    if not hmac.compare_digest(hash_secret(call.msisdn + purpose, call.text("code")), row["code_hash"]):
        failures = row["failures"] + 1
        if failures >= CODE_TRIES:
            call.db.execute(f"DELETE FROM codes {where}", (call.msisdn, purpose))
        else:
            call.db.execute(f"UPDATE codes SET failures = ? {where}", (failures, call.msisdn, purpose))
        raise BusinessError("wrong code", code="WRONG_CODE", details={"remaining": CODE_TRIES - failures})


def request_reset_code(call: DemoCall) -> dict[str, Any]:
    return _issue(call, "reset")


def verify_reset_code(call: DemoCall) -> dict[str, Any]:
    """Check the code in the turn it is typed; the row remembers it was right (not the session)."""
    _check_code(call, "reset")
    call.db.execute("UPDATE codes SET verified = 1 WHERE msisdn = ? AND purpose = 'reset'", (call.msisdn,))
    return {}


def reset_password(call: DemoCall) -> dict[str, Any]:
    """Set a new password after a verified reset code; this also lifts a lock."""
    row = call.db.execute("SELECT * FROM codes WHERE msisdn = ? AND purpose = 'reset'", (call.msisdn,)).fetchone()
    if row is None or not row["verified"] or row["expires_at"] <= call.now:
        raise BusinessError("no verified reset code", code="CODE_EXPIRED")
    _check_weak(call.text("new_password"))
    call.db.execute("DELETE FROM codes WHERE msisdn = ? AND purpose = 'reset'", (call.msisdn,))
    _set_password(call, call.text("new_password"))
    return {}


def request_otp(call: DemoCall) -> dict[str, Any]:
    _require(call, "password")
    return _issue(call, "otp")


def verify_otp(call: DemoCall) -> dict[str, Any]:
    _require(call, "password")
    _check_code(call, "otp")
    call.db.execute("DELETE FROM codes WHERE msisdn = ? AND purpose = 'otp'", (call.msisdn,))
    return {}


HANDLERS: dict[str, Handler] = {
    "verify_password": verify_password,
    "change_password": change_password,
    "request_reset_code": request_reset_code,
    "verify_reset_code": verify_reset_code,
    "reset_password": reset_password,
    "request_otp": request_otp,
    "verify_otp": verify_otp,
}
