"""A small real handler (a two-level menu) and a FastAGI server fixture for IVR tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.types import Inbound, Reply, Transfer, Wait
from gateways.ivr.fastagi import AgiServer, start_agi
from gateways.ivr.options import IvrOptions

MAIN = "欢迎致电10086。查询余额请按1，办理业务请按2，人工服务请按0。"
SUB = "流量包请按1，返回上级请按9。"


class MenuHandler:
    """Main menu → balance (ends, says 50.00) | sub menu → PIN entry | agent transfer."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []
        self.state: dict[str, str] = {}

    def events(self) -> list[tuple[str, str]]:
        return [(i.event, i.text) for i in self.seen]

    def _reply(self, text: str, audio: tuple[str, ...] = (), wait: Wait | None = None,
               transfer: Transfer | None = None, locale: str = "zh") -> list[Reply]:
        return [Reply(channel="ivr", msisdn="", text=text, audio=audio, wait=wait,
                      transfer=transfer, locale=locale)]

    def _menu(self, key: str, locale: str) -> list[Reply]:
        self.state[key] = "main"
        return self._reply(MAIN, ("menu/main",), Wait(kind="choice"), locale=locale)

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        key, loc = inbound.session_key, inbound.locale or "zh"
        state = self.state.get(key, "main")
        if inbound.event == "begin":
            return self._menu(key, loc)
        if inbound.event == "end":
            self.state.pop(key, None)
            return []
        if inbound.event == "noinput":
            if state == "pin":
                return self._reply("再见。")
            return self._menu(key, loc) if state == "main" else self._sub(key)
        return self._step(key, state, inbound.text, loc)

    def _sub(self, key: str) -> list[Reply]:
        self.state[key] = "sub"
        return self._reply(SUB, ("menu/sub",), Wait(kind="choice"))

    def _step(self, key: str, state: str, text: str, loc: str) -> list[Reply]:
        if state == "main":
            if text == "1":
                return self._reply("您的余额为50.00元。")
            if text == "2":
                return self._sub(key)
            if text == "0":
                return self._reply("正在为您转接人工服务。", transfer=Transfer("agents"))
            return self._menu(key, loc)
        if state == "sub":
            if text == "1":
                self.state[key] = "pin"
                return self._reply("请输入6位服务密码，以井号键结束。", ("menu/pin",),
                                   Wait(kind="digits", max_digits=6, secret=True))
            return self._menu(key, loc) if text == "9" else self._sub(key)
        return self._reply("密码正确，流量包已开通。" if text == "123456" else "密码错误。")


@pytest.fixture
def menu() -> MenuHandler:
    return MenuHandler()


@pytest.fixture
def ivr_opts() -> IvrOptions:
    return IvrOptions(handler_timeout=5.0, agi_reply_timeout=5.0, hangup_grace=0.2, prefer_audio=True)


@pytest.fixture
async def agi(menu: MenuHandler, ivr_opts: IvrOptions) -> AsyncIterator[AgiServer]:
    server = await start_agi(menu, "127.0.0.1", 0, ivr_opts)
    try:
        yield server
    finally:
        await server.close()
