"""The progress bar while a campaign runs and the summary ``run`` and ``status`` print."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

BAR = 30


def summary(counts: Counter[str]) -> dict[str, int]:
    """The figures an operator asks for: sent (accepted by the SMSC), delivered per receipts, failed..."""
    return {
        "sent": counts["sent"] + counts["delivered"] + counts["undelivered"],
        "delivered": counts["delivered"],
        "undelivered": counts["undelivered"],
        "failed": counts["failed"],
        "skipped (opted out)": counts["opted_out"],
        "uncertain (crash)": counts["uncertain"] + counts["queued"],
        "replied": counts["replied"],
        "converted": counts["converted"],
        "opted out by reply": counts["opt_outs"],
    }


class ProgressBar:
    """``[#####.....]  12/40  sent 10  failed 0  skipped 2`` on one line, redrawn in place."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, done: int, total: int, counts: Counter[str]) -> None:
        filled = BAR * done // max(total, 1)
        figures = summary(counts)
        self.out.write(f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}  sent {figures['sent']}"
                       f"  failed {figures['failed']}  skipped {figures['skipped (opted out)']}")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


def print_summary(out: TextIO, title: str, audience: int, counts: Counter[str]) -> None:
    dealt = sum(counts[s] for s in ("queued", "uncertain", "opted_out", "sent", "failed", "delivered",
                                    "undelivered"))
    out.write(f"{title}: {audience} in the audience, {dealt} dealt with, {audience - dealt} to go\n")
    for name, value in summary(counts).items():
        out.write(f"  {name:<22}{value:>8}\n")
