"""Engine test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.flow.channels import paginate


@pytest.fixture(autouse=True)
def _fresh_pagination() -> Iterator[None]:
    """Each test cuts its own pages: a result cached by an earlier test (or by the process a
    mutation run forks from) would let a broken cutter pass unnoticed."""
    paginate.cache_clear()
    yield
