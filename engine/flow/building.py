"""What a state kind uses to compile its part of a flow file: located errors, texts, expressions.

The compiler hands one ``Building`` to every kind, so each kind reports its
own mistakes with the file, line and column the author typed, and a broken
template or pattern never escapes as a Python traceback.
"""

from __future__ import annotations

import re

from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.spec import FlowSpec, Text, TextSpec
from engine.flow.templates import Expr, LText, TemplateError, Tpl, compile_expr, compile_template, compile_text
from engine.flow.yamlpos import Positions, locate


class Building:
    def __init__(self, file: str, positions: Positions, spec: FlowSpec) -> None:
        self.file = file
        self.positions = positions
        self.spec = spec
        self.diags: list[Diagnostic] = []

    def error(self, path: Path, message: str) -> None:
        line, col = locate(self.positions, path)
        self.diags.append(Diagnostic(self.file, line, col, "error", path, message))

    def text(self, path: Path, text: Text) -> LText:
        spec = self.spec
        try:
            lt = compile_text(text, list(spec.locales))
        except TemplateError as exc:
            self.error(path, str(exc))
            return LText({("", spec.locale): Tpl("")})
        if isinstance(text, TextSpec) and getattr(text, spec.locale) is None and ("", spec.locale) not in lt.by_key:
            self.error(path, f"no text for the default locale '{spec.locale}'; add `{spec.locale}: ...`")
        return lt

    def expr(self, path: Path, source: str) -> Expr | None:
        try:
            return compile_expr(source)
        except TemplateError as exc:
            self.error(path, str(exc))
            return None

    def template(self, path: Path, value: str | int | float | bool) -> Tpl:
        if not isinstance(value, str):
            return Tpl(str(value))
        try:
            return compile_template(value)
        except TemplateError as exc:
            self.error(path, str(exc))
            return Tpl("")  # pragma: no mutate (equivalent: a flow with an error is never run)

    def regex(self, path: Path, source: str) -> re.Pattern[str] | None:
        try:
            return re.compile(source)
        except re.error as exc:
            self.error(path, f"invalid regular expression: {exc}")
            return None
