"""Order numbers of the demo operator: every business done gets one, for its SMS receipt.

A receipt (短信凭证) is only useful if the number on it finds the order at the
counter or on the hotline, so the number comes from the business system, not
from the engine. Operations with a receipt in the catalogue get an ``order``
field in their result; one that did nothing (``already``) gets none, and one
that numbers its own orders (``subscribe``) keeps its number.
"""

from __future__ import annotations

from typing import Any

from engine.backend.demo_ops import DemoCall, Handler, record_order


def with_order(operation: str, handler: Handler) -> Handler:
    """``handler`` whose successful result carries an ``order`` number."""

    def run(call: DemoCall) -> dict[str, Any]:
        result = handler(call)
        if result.get("already") or result.get("order"):
            return result
        return {**result, "order": record_order(call, operation)}

    return run
