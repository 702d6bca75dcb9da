"""Located messages about a flow file, in the gcc style editors understand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int
    col: int
    severity: Literal["error", "warning"]
    path: Path
    message: str

    def __str__(self) -> str:
        where = format_path(self.path)
        prefix = f"{where}: " if where else ""
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {prefix}{self.message}"


class FlowError(Exception):
    """Raised when flow files do not compile; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics
