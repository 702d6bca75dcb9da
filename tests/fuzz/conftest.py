"""Hypothesis settings for the fuzzers: a bounded budget so the whole set adds well under 60 s.

``derandomize`` makes CI runs repeatable (a failure reproduces with the same command); set
MENUFLOW_FUZZ_EXAMPLES to search longer locally. Every finding becomes an explicit example
(``@example``) or a regression test next to the code it broke.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "menuflow",
    max_examples=int(os.environ.get("MENUFLOW_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=os.environ.get("MENUFLOW_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
settings.load_profile("menuflow")
