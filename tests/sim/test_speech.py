"""--speak: IVR prompts go to a speech program; a new prompt cuts off the one playing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import cast

import pytest

from simulator.phone.speech import Speaker
from tests.sim.conftest import Driver


def test_missing_program_is_explained() -> None:
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        Speaker("no-such-espeak")


@pytest.mark.skipif(shutil.which("sleep") is None, reason="needs coreutils sleep")
def test_a_new_prompt_stops_the_one_playing() -> None:
    speaker = Speaker("sleep")  # a real program that runs until stopped: stands in for a long prompt
    speaker.say("30", "zh")
    first = speaker._playing
    assert first is not None and cast(list[str], first.args)[1:] == ["-v", "cmn", "--", "30"]
    speaker.say("30", "en")
    assert first.wait(5) != 0  # terminated
    speaker.stop()


async def test_phone_speaks_ivr_prompts(phone: Callable[..., Driver]) -> None:
    d = phone("ivr")
    d.phone.speaker = Speaker("true")
    await d.keys("\r", answers=2)
    playing = d.phone.speaker._playing
    assert playing is not None
    args = cast(list[str], playing.args)
    assert "您好，欢迎致电中国移动" in args[-1] and args[1:3] == ["-v", "cmn"]
    playing.wait(5)
