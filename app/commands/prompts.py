"""``menuflow prompts export``: every IVR prompt per locale, for the recording studio.

Lists (flow, state, id, locale, text) as CSV or JSON and, with ``--wav DIR``,
writes placeholder 8 kHz WAV files with espeak-ng as ``DIR/<locale>/<id>.wav``
(Asterisk looks up sounds per channel language in the same layout). Prompts
whose text holds template expressions (``{{ bal.balance }}``) are marked
``dynamic``: a studio cannot record them whole, so no WAV is made for them.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from app.commands.common import load_flows
from engine.flow.prompts import Prompt, iter_prompts
from gateways.ivr.prompt_audio import SynthesisError, espeak_available, synthesise

FIELDS = ("flow", "state", "id", "locale", "text", "dynamic", "file")
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("prompts", help="IVR prompts: export the list for recording")
    psub = p.add_subparsers(dest="prompts_command", metavar="ACTION", required=True)
    e = psub.add_parser("export", help="list every IVR prompt per locale; optionally synthesise WAVs")
    e.add_argument("--flows", default="flows", help="flow folder or file (default: flows/)")
    e.add_argument("--locale", choices=("zh", "en", "all"), default="all", help="which locale (default all)")
    e.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    e.add_argument("--wav", metavar="DIR", default=None,
                   help="write 8 kHz WAV placeholders with espeak-ng to DIR/<locale>/<id>.wav")
    e.add_argument("-o", "--output", metavar="FILE", default="-", help="write the list here (default stdout)")
    e.set_defaults(func=run)


def is_dynamic(text: str) -> bool:
    return "{{" in text or "{%" in text


def wav_path(root: Path, locale: str, prompt_id: str) -> Path | None:
    """``root/locale/id.wav``; None when the id could escape ``root``."""
    parts = prompt_id.split("/")
    if not all(_SAFE_PART.match(p) and p not in (".", "..") for p in [locale, *parts]):
        return None
    return root.joinpath(locale, *parts[:-1], parts[-1] + ".wav")


def collect(prompts: Iterable[Prompt], locale: str) -> list[dict[str, str]]:
    rows = []
    for p in prompts:
        if locale != "all" and p.locale != locale:
            continue
        rows.append({"flow": p.flow, "state": p.state, "id": p.id, "locale": p.locale, "text": p.text,
                     "dynamic": "yes" if is_dynamic(p.text) else "no", "file": ""})
    return rows


def make_wavs(rows: list[dict[str, str]], root: Path) -> tuple[int, list[str]]:
    """Synthesise the static prompts; (files written, problems)."""
    made, problems = 0, []
    for row in rows:
        if row["dynamic"] == "yes" or not row["text"].strip():
            continue
        path = wav_path(root, row["locale"], row["id"])
        if path is None:
            problems.append(f"{row['id']}: id is not a safe file name, skipped")
            continue
        try:
            synthesise(row["text"], row["locale"], path)
        except SynthesisError as exc:
            problems.append(f"{row['id']} ({row['locale']}): {exc}")
            continue
        row["file"] = str(path)
        made += 1
    return made, problems


def write_rows(rows: list[dict[str, str]], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def run(args: argparse.Namespace) -> int:
    registry = load_flows(args.flows)
    if registry is None:
        return 1
    prompts = list(iter_prompts(registry))
    rows = collect(prompts, args.locale)
    status = 0
    if args.wav:
        if not espeak_available():
            print("menuflow prompts: --wav needs espeak-ng (apt-get install espeak-ng sox)", file=sys.stderr)
            return 2
        made, problems = make_wavs(rows, Path(args.wav))
        for line in problems:
            print(f"warning: {line}", file=sys.stderr)
        print(f"{made} WAV file(s) written to {args.wav}", file=sys.stderr)
        status = 1 if problems else 0
    if args.output == "-":
        write_rows(rows, args.format, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            write_rows(rows, args.format, fh)
    return status
