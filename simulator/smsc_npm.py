"""Drive the npm ``smpp`` SMSC (tests/npm/smsc.js) from Python.

A second SMSC written by other people keeps our ESME honest: whatever our
own simulator and ESME agree on wrongly, this one will not. The node process
speaks JSON lines (commands on stdin, events on stdout); submits are decoded
with the same inspector as the simulator's, so tests read alike for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from simulator.smsc_state import Message, SubmitDecoder, Submitted

NPM_DIR = Path(__file__).resolve().parent.parent / "tests" / "npm"


def npm_smsc_available() -> str:
    """'' when the npm SMSC can run (installing its package if needed), else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed"
    if not (NPM_DIR / "node_modules" / "smpp").is_dir():
        cmd = ["npm", "ci" if (NPM_DIR / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
        done = subprocess.run(cmd, cwd=NPM_DIR, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            return f"npm could not install the smpp package: {done.stderr.strip()[-300:]}"
    return ""


class NpmSmsc:
    """The node SMSC as an async context: ``port``, ``submits``, ``messages``, ``events``."""

    def __init__(self, credentials: dict[str, str], *, quiet: bool = False) -> None:
        self.credentials = credentials
        self.quiet = quiet
        self.port = 0
        self.submits: list[Submitted] = []
        self.messages: list[Message] = []
        self.events: list[dict[str, Any]] = []
        self._decoder = SubmitDecoder()
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._counts: Counter[str] = Counter()

    async def start(self) -> NpmSmsc:
        env = {**os.environ, "SMSC_CREDENTIALS": json.dumps(self.credentials), "SMSC_QUIET": "1" if self.quiet else "0"}
        self._proc = await asyncio.create_subprocess_exec(
            "node", str(NPM_DIR / "smsc.js"), cwd=NPM_DIR, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 20,
        )
        assert self._proc.stdout is not None
        first = json.loads(await asyncio.wait_for(self._proc.stdout.readline(), 10))
        self.port = int(first["port"])
        self._reader = asyncio.create_task(self._read())
        return self

    async def close(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                await asyncio.wait_for(self._proc.wait(), 3)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def __aenter__(self) -> NpmSmsc:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def command(self, cmd: str, **kw: Any) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write((json.dumps({"cmd": cmd, **kw}) + "\n").encode())

    def deliver_fields(self, fields: dict[str, Any]) -> None:
        """Send one deliver_sm; ``short_message`` may be bytes."""
        f = dict(fields)
        if isinstance(f.get("short_message"), bytes):
            f["short_message_hex"] = f.pop("short_message").hex()
        self.command("deliver", fields=f)

    def count(self, event: str) -> int:
        return self._counts[event]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            event = json.loads(line)
            if event.get("event") == "submit":
                self._record_submit(event)
            else:
                self.events.append(event)
            self._counts[str(event.get("event"))] += 1
            self._changed.set()

    def _record_submit(self, e: dict[str, Any]) -> None:
        tlvs: dict[str, object] = dict(e.get("tlvs") or {})
        if "message_payload_hex" in tlvs:
            tlvs["message_payload"] = bytes.fromhex(str(tlvs.pop("message_payload_hex")))
        fields: dict[str, object] = {
            "source_addr": e["source_addr"], "destination_addr": e["destination_addr"],
            "data_coding": e["data_coding"], "esm_class": e["esm_class"],
            "short_message": bytes.fromhex(e["short_message_hex"]), **tlvs,
        }
        sub, whole = self._decoder.decode("npm", fields, e["message_id"])
        self.submits.append(sub)
        if whole is not None:
            self.messages.append(whole)
