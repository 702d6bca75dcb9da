"""SMPP figures for Prometheus, read from each bind's counters when ``/metrics`` is scraped.

``SmsService`` keeps plain integers (``SmsStats``): nothing on the MO/MT
path pays for Prometheus. This collector turns them into metric families
at scrape time, one ``bind`` label per SMPP bind of the process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateways.sms.service import SmsService

#: menuflow_sms_<name>_total: (help, SmsStats field)
COUNTERS = {
    "mo_received": ("MO messages received (a multipart message counts once)", "mo_received"),
    "mo_duplicates": ("MO redeliveries recognised and not answered twice", "mo_duplicates"),
    "mo_rejected": ("MO messages refused (bad address, undecodable)", "mo_rejected"),
    "mo_throttled": ("MO messages over the per-subscriber rate limit, not answered", "mo_throttled"),
    "mo_failed": ("MO messages the engine failed on", "mo_failed"),
    "mo_incomplete": ("multipart MO messages whose parts never all arrived", "mo_incomplete"),
    "mt_queued": ("MT messages put in the outbox", "mt_queued"),
    "mt_sent": ("MT messages the SMSC accepted (every part)", "mt_sent"),
    "mt_failed": ("MT messages given up after their last try", "mt_failed"),
    "mt_parts_sent": ("submit_sm accepted by the SMSC", "mt_parts_sent"),
    "submit_retries": ("submit_sm tried again (throttled, timed out, bind lost)", "retries"),
    "delivery_receipts": ("delivery receipts received", "receipts"),
    "rebinds": ("binds made again after a lost one", "rebinds"),
}


class SmsCollector(Collector):
    def __init__(self, binds: Sequence[SmsService]) -> None:
        self._binds = binds

    def collect(self) -> Iterator[Metric]:
        families = {
            name: CounterMetricFamily(f"menuflow_sms_{name}", text, labels=["bind"])
            for name, (text, _) in COUNTERS.items()
        }
        bound = GaugeMetricFamily("menuflow_sms_bound", "1 while the SMPP bind is up", labels=["bind"])
        depth = GaugeMetricFamily(
            "menuflow_sms_outbox_depth",
            "MT parts waiting in the outbox, as this bind last saw it (on Redis: the shared queue)",
            labels=["bind"],
        )
        for i, service in enumerate(self._binds):
            label = [str(i)]
            stats = service.stats
            for name, (_, field) in COUNTERS.items():
                families[name].add_metric(label, getattr(stats, field))
            bound.add_metric(label, 1.0 if service.esme.bound.is_set() else 0.0)
            depth.add_metric(label, len(service.outbox))
        yield from families.values()
        yield bound
        yield depth
