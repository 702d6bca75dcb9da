"""``menuflow schema``: (re)generate flows/schema.json for editor autocompletion."""

from __future__ import annotations

import argparse
import json

from app.commands.common import write_generated
from engine.states import LANGUAGE


def schema_text() -> str:
    schema = LANGUAGE.flow_model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "menuflow flow file"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="write the JSON Schema of the flow language")
    p.add_argument("--output", "-o", default="flows/schema.json", help="'-' for stdout")
    p.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output == "-":
        print(text, end="")
        return 0
    try:
        with open(args.output, encoding="utf-8") as fh:
            current = fh.read()
    except OSError:
        current = ""
    return write_generated(args.output, text, current, check=args.check,
                           stale=f"{args.output} is out of date; run `menuflow schema`")
