"""Shared test policy: a missing external tool skips locally but fails in CI."""

from __future__ import annotations

import os

import pytest

# serve's event log defaults to a file in the working directory (the repo, under pytest): tests that
# read events say where (--events); the rest, and the servers they start as subprocesses, log nothing.
os.environ.setdefault("MENUFLOW_EVENTS", "off")


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``; under ``MENUFLOW_REQUIRE_SERVICES=1`` (set by .ci/run) fail instead."""
    if os.environ.get("MENUFLOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} and MENUFLOW_REQUIRE_SERVICES=1")
    pytest.skip(reason)
