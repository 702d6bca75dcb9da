"""Issue 13 problem 8: recorded checks keep product names apart; graph labels never cut inside a template."""

from __future__ import annotations

import re

from engine.flow.model import cut_label
from simulator.transcripts.recorder import _text_check


def test_small_figures_that_name_a_product_are_kept() -> None:
    five = _text_check("1. 5元100MB流量包 5.00元/月")["regex"]
    assert re.fullmatch(five, "1. 5元100MB流量包 5.00元/月")
    assert not re.fullmatch(five, "1. 10元300MB流量包 10.00元/月")
    assert re.fullmatch(five, "1. 5元100MB流量包 6.50元/月")  # the price may change; the product may not


def test_dates_and_order_numbers_vary() -> None:
    check = _text_check("订单号DD20261201000001，2026-12-01生效")["regex"]
    assert re.fullmatch(check, "订单号DD20270105000042，2027-01-05生效")


def test_graph_labels_end_before_or_after_a_template() -> None:
    label = cut_label("您将订购{{ pkg_name }}，{{ price }}元/月，次月自动续订。", 24)
    assert label.count("{{") == label.count("}}")
    assert cut_label("短", 24) == "短"
