"""Fixtures for the SMPP tests: our SMSC simulator, and the npm ``smpp`` SMSC.

Everything runs over real sockets on 127.0.0.1 with ports picked by the OS.
The npm SMSC is skipped when node/npm are missing, unless
``MENUFLOW_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from smpp_helpers import CREDENTIALS, balance_handler, fast_options

from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator
from simulator.smsc_npm import NpmSmsc, npm_smsc_available


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(credentials=CREDENTIALS) as sim:
        yield sim


@pytest.fixture
async def service(smsc: SmscSimulator) -> AsyncIterator[SmsService]:
    svc = SmsService(balance_handler, fast_options(smsc.port))
    await svc.start()
    await svc.wait_bound(5)
    yield svc
    await svc.close()


@pytest.fixture
async def npm_smsc() -> AsyncIterator[NpmSmsc]:
    reason = npm_smsc_available()
    if reason:
        if os.environ.get("MENUFLOW_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} and MENUFLOW_REQUIRE_SERVICES=1")
        pytest.skip(reason)
    smsc = NpmSmsc(CREDENTIALS)
    await smsc.start()
    yield smsc
    await smsc.close()
