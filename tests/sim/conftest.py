"""Shared pieces for simulator tests: compiled demo flows and a phone driven through a pipe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from engine.flow.registry import FlowRegistry
from engine.run.build import load_registry
from simulator.phone.app import PhoneApp
from simulator.phone.local import LocalWorld

F = {n: seq for n, seq in (("f2", "\x1bOQ"), ("f3", "\x1bOR"), ("f4", "\x1bOS"), ("f5", "\x1b[15~"),
                           ("f6", "\x1b[17~"), ("f7", "\x1b[18~"), ("f8", "\x1b[19~"), ("f9", "\x1b[20~"),
                           ("f10", "\x1b[21~"))}
CTRL_Q = "\x11"


@pytest.fixture(scope="session")
def registry() -> FlowRegistry:
    return load_registry("flows")


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for the app to have processed keys (it reads the pipe on its own schedule)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("the phone did not get there in time")
        await asyncio.sleep(0.005)


class Driver:
    """Types into the real full-screen app and waits until each action has been answered."""

    def __init__(self, phone: PhoneApp, pipe: PipeInput) -> None:
        self.phone = phone
        self.model = phone.model
        self.pipe = pipe

    async def keys(self, text: str, answers: int = 1) -> None:
        """Send keys; wait until ``answers`` more lines reached the thread and actions are done."""
        before = len(self.model.history)
        self.pipe.send_text(text)
        await until(lambda: len(self.model.history) >= before + answers)
        await self.phone.settle()

    async def line(self, text: str) -> None:
        await self.keys(text + "\r", answers=2)

    async def command(self, text: str) -> None:
        """A slash command answers with one note in the thread."""
        await self.keys(text + "\r", answers=1)

    @property
    def last(self) -> str:
        return self.model.history[-1].text


@pytest.fixture
async def phone(registry: FlowRegistry) -> AsyncIterator[Callable[..., Driver]]:
    """``start(channel, msisdn)`` → a Driver on a running app; closed after the test."""
    running: list[tuple[asyncio.Task[None], PipeInput, LocalWorld]] = []
    pipes = contextlib.ExitStack()

    def start(channel: str = "sms", msisdn: str = "8613800138000", lang: str | None = None,
              flows: FlowRegistry | None = None) -> Driver:
        world = LocalWorld(flows or registry)
        model = world.model(channel, msisdn, lang)  # type: ignore[arg-type]
        pipe = pipes.enter_context(create_pipe_input())
        app = PhoneApp(model, flows or registry, input=pipe, output=DummyOutput())
        running.append((asyncio.create_task(app.run()), pipe, world))
        return Driver(app, pipe)

    with pipes:
        yield start
        for task, pipe, world in running:
            if not task.done():
                pipe.send_text(CTRL_Q)
            await asyncio.wait_for(task, 5)
            await world.close()
