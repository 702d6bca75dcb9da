"""Offline 8 kHz prompt files with espeak-ng: placeholders until the studio recordings arrive.

Telephone prompts are 8 kHz, 16-bit, mono PCM WAV (what Asterisk's format_wav
plays without transcoding surprises). espeak-ng writes 22.05 kHz, so the file
is resampled with sox when installed, else by a small linear resampler here
(adequate for placeholders, not for production prompts).
"""

from __future__ import annotations

import array
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

TARGET_RATE = 8000
#: Engine locale → espeak-ng voice.
VOICES = {"zh": "cmn", "en": "en-us"}


class SynthesisError(RuntimeError):
    """espeak-ng or sox failed; the message says which and why."""


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _run(cmd: list[str]) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthesisError(f"{cmd[0]}: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SynthesisError(f"{cmd[0]} exited {done.returncode}: {err[-1] if err else ''}")


def resample_linear(src: Path, dst: Path, rate: int = TARGET_RATE) -> None:
    """16-bit mono WAV at any rate → ``rate`` by linear interpolation."""
    with wave.open(str(src), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SynthesisError(f"{src}: expected 16-bit mono audio")
        src_rate = w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    n_out = max(1, len(samples) * rate // src_rate) if samples else 0
    out = array.array("h", bytes(2 * n_out))
    step = src_rate / rate
    last = len(samples) - 1
    for i in range(n_out):
        pos = i * step
        j = int(pos)
        frac = pos - j
        a = samples[min(j, last)]
        b = samples[min(j + 1, last)]
        out[i] = int(a + (b - a) * frac)
    if sys.byteorder == "big":
        out.byteswap()
    with wave.open(str(dst), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(out.tobytes())


def synthesise(text: str, locale: str, dst: Path) -> None:
    """Speak ``text`` in ``locale`` into ``dst`` as 8 kHz 16-bit mono WAV."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SynthesisError("espeak-ng is not installed (apt-get install espeak-ng)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run([exe, "-v", VOICES.get(locale, locale), "-w", str(raw), "--", text])
        sox = shutil.which("sox")
        if sox is not None:
            _run([sox, str(raw), "-r", str(TARGET_RATE), "-c", "1", "-b", "16", str(dst)])
        else:
            resample_linear(raw, dst)
