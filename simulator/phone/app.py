"""The full-screen phone: a handset on the left, the QA panel on the right.

The app draws ``PhoneModel`` and turns keys into its methods; every action runs
as a background task so the screen stays live while the engine (or a remote
server) answers. ``input``/``output`` are injectable, which is how the tests
drive the real application with a pipe and a dummy terminal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.data_structures import Point
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, VSplit, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import Button, Frame, TextArea

from engine.flow.registry import FlowRegistry
from simulator.phone import views
from simulator.phone.commands import Quit, run_command
from simulator.phone.model import PhoneModel
from simulator.phone.panel import panel_lines
from simulator.phone.speech import Speaker

STYLE = Style.from_dict({
    "title": "reverse bold",
    "me": "ansicyan",
    "net": "",
    "push": "ansigreen",
    "info": "ansibrightblack italic",
    "key": "bold",
    "help": "reverse",
})


class PhoneApp:
    def __init__(self, model: PhoneModel, registry: FlowRegistry | None = None, *,
                 input: Input | None = None, output: Output | None = None, speaker: Speaker | None = None) -> None:
        self.model = model
        self.registry = registry
        self.speaker = speaker
        self.tasks: set[asyncio.Task[None]] = set()
        secret = Condition(lambda: model.device.wait is not None and model.device.wait.secret)
        self.entry = TextArea(height=1, multiline=False, prompt=lambda: views.prompt(model), password=secret,
                              accept_handler=self._accept)
        self.app: Application[None] = Application(
            layout=Layout(self._layout(), focused_element=self.entry), key_bindings=self._keys(),
            style=STYLE, full_screen=True, mouse_support=True, input=input, output=output)

    # -- layout -----------------------------------------------------------------------
    def _layout(self) -> HSplit:
        m = self.model
        thread = FormattedTextControl(lambda: views.history(m), show_cursor=False,
                                      get_cursor_position=lambda: Point(0, self._thread_lines()))
        ussd = Frame(HSplit([
            Window(FormattedTextControl(lambda: views.ussd_box(m)), wrap_lines=True, height=Dimension(min=3)),
            VSplit([Button("Send", handler=lambda: self._submit_entry()),
                    Button("Cancel", handler=lambda: self.schedule(m.hangup())), Window()], padding=2),
        ]), title=lambda: f"USSD {m.device.to}")
        pad = HSplit([Window(FormattedTextControl(lambda: views.keypad(m, self._click)), height=5),
                      VSplit([Button("Call", handler=lambda: self.schedule(m.dial())),
                              Button("Hang up", handler=lambda: self.schedule(m.hangup())), Window()],
                             padding=2)])
        is_ussd = Condition(lambda: m.channel == "ussd")
        is_ivr = Condition(lambda: m.channel == "ivr")
        phone = HSplit([
            Window(FormattedTextControl(lambda: views.title(m)), height=1, style="class:title"),
            Window(thread, wrap_lines=True),
            ConditionalContainer(ussd, filter=is_ussd),
            ConditionalContainer(pad, filter=is_ivr),
            self.entry,
        ])
        panel = Window(FormattedTextControl(self.panel_text), wrap_lines=True)
        return HSplit([
            VSplit([Frame(phone, title="Phone", width=Dimension(weight=3)),
                    Frame(panel, title="QA", width=Dimension(weight=2))]),
            Window(FormattedTextControl(views.HELP), height=1, style="class:help"),
        ])

    def _thread_lines(self) -> int:
        return max(0, sum(text.count("\n") for _, text, *_ in views.history(self.model)) - 1)

    def panel_text(self) -> StyleAndTextTuples:
        return [("", "\n".join(panel_lines(self.model, self.registry)))]

    # -- keys -------------------------------------------------------------------------
    def _keys(self) -> KeyBindings:
        kb = KeyBindings()
        m = self.model

        @kb.add("c-q")
        @kb.add("c-c")
        def _quit(event: KeyPressEvent) -> None:
            event.app.exit()

        actions: dict[str, Any] = {
            "f2": lambda: m.switch(channel=m.next_channel()),
            "f3": lambda: m.switch(msisdn=m.next_subscriber()),
            "f4": lambda: m.switch(lang=m.next_lang()),
            "f5": m.restart,
            "f9": m.hangup,
            "f10": m.noinput,
        }
        for key, act in actions.items():
            kb.add(key)(lambda event, act=act: self.schedule(act()))
        kb.add("f6")(lambda event: m.reload())
        kb.add("f7")(lambda event: m.advance(60))
        kb.add("f8")(lambda event: m.advance(301))
        dialing = Condition(lambda: m.channel == "ivr" and m.open and not self.entry.text)
        for key in "0123456789*#":
            kb.add(key, filter=dialing)(lambda event, key=key: self.schedule(m.press(key)))
        return kb

    # -- actions ------------------------------------------------------------------------
    def schedule(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run an action in the background; redraw (and speak IVR prompts) when it is done."""
        task = asyncio.get_running_loop().create_task(self._then_redraw(coro))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _then_redraw(self, coro: Coroutine[Any, Any, None]) -> None:
        before = self.model.last
        try:
            await coro
        except Quit:
            self.app.exit()
            return
        if self.speaker is not None and self.model.channel == "ivr" and self.model.last is not before:
            self.speaker.say(self.model.screen, self.model.last.reply.locale if self.model.last and
                             self.model.last.reply else "zh")
        self.app.invalidate()

    def _click(self, key: str) -> None:
        self.schedule(self.model.press(key))

    def _accept(self, buffer: Buffer) -> bool:
        text = buffer.text
        if text.startswith("/"):
            self.schedule(run_command(self.model, text))
        else:
            self.schedule(self.model.submit(text))
        return False

    def _submit_entry(self) -> None:
        self.entry.buffer.validate_and_handle()
        self.app.layout.focus(self.entry)

    async def settle(self) -> None:
        """Wait for every action in flight (tests and the recorder use it)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks))

    async def run(self) -> None:
        await self.app.run_async()
        await self.settle()
