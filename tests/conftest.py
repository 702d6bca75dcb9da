"""Shared test policy: a missing external tool skips locally but fails in CI."""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

# serve's event log defaults to a file in the working directory (the repo, under pytest): tests that
# read events say where (--events); the rest, and the servers they start as subprocesses, log nothing.
os.environ.setdefault("MENUFLOW_EVENTS", "off")


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``; under ``MENUFLOW_REQUIRE_SERVICES=1`` (set by .ci/run) fail instead."""
    if os.environ.get("MENUFLOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} and MENUFLOW_REQUIRE_SERVICES=1")
    pytest.skip(reason)


# Under mutmut (which sets MUTANT_UNDER_TEST in every run it makes) hypothesis is
# derandomized with no example database, so a mutant's verdict does not depend on
# the seed or on what earlier mutants taught the database; and it does not shrink,
# because only "some example fails" matters there (shrinking took 20 s on one mutant).
settings.register_profile(
    "mutation", derandomize=True, database=None, phases=(Phase.explicit, Phase.reuse, Phase.generate)
)
if "MUTANT_UNDER_TEST" in os.environ:
    settings.load_profile("mutation")
