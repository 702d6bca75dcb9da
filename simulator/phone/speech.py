"""Speak IVR prompts aloud with espeak-ng, when it is installed (``menuflow sim --speak``).

Hearing a prompt is the fastest way to notice that it is too long to remember.
A new prompt cuts off the one still playing, as barge-in does on a real call.
"""

from __future__ import annotations

import shutil
import subprocess

VOICES = {"zh": "cmn", "en": "en"}


class Speaker:
    def __init__(self, program: str = "espeak-ng") -> None:
        path = shutil.which(program)
        if path is None:
            raise FileNotFoundError(f"{program} is not installed (apt-get install espeak-ng)")
        self.program = path
        self._playing: subprocess.Popen[bytes] | None = None

    def say(self, text: str, locale: str) -> None:
        self.stop()
        if text:
            self._playing = subprocess.Popen(  # fixed program; the text is one argument
                [self.program, "-v", VOICES.get(locale, "en"), "--", text],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self._playing is not None and self._playing.poll() is None:
            self._playing.terminate()
        self._playing = None
