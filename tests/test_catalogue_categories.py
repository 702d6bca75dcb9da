"""The catalogue classifies every operation the way the operator's KPI counts it."""

from __future__ import annotations

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.backend.http import parse_operations
from engine.ports.backend import CATEGORIES


def test_every_operation_has_a_known_category() -> None:
    assert {op.category for op in OPERATIONS.values()} <= set(CATEGORIES)


def test_queries_and_the_password_check_are_not_business() -> None:
    business = {name for name, op in OPERATIONS.items() if op.business}
    assert business == {"subscribe", "unsubscribe", "topup", "redeem_points", "change_password", "reset_password",
                        "complaint"}
    assert all(not op.business for op in OPERATIONS.values() if op.category == "query")
    assert OPERATIONS["balance"].category == "query"
    assert OPERATIONS["verify_password"].category == "auth"


def test_http_operations_config_carries_category_and_business() -> None:
    ops = parse_operations({"topup": {"params": ["amount"], "category": "payment", "business": True}, "bal": {}})
    assert (ops["topup"].category, ops["topup"].business) == ("payment", True)
    assert (ops["bal"].category, ops["bal"].business) == ("other", False)
    with pytest.raises(ValueError, match=r"operations.x.category: expected one of query, .*got 'shopping'"):
        parse_operations({"x": {"category": "shopping"}})
