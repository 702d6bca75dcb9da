"""Many sessions at once, and a retry racing its original."""

from __future__ import annotations

import asyncio

from .helpers import MAIN, live


async def test_100_concurrent_sessions_each_doing_3_steps() -> None:
    async with live() as s:

        async def at_session(n: int) -> list[str]:
            sid = f"AT-{n}"
            return [
                await s.at_text(sid, ""),
                await s.at_text(sid, "2"),
                await s.at_text(sid, f"2*msg{n}*x"),
            ]

        async def json_session(n: int) -> list[str]:
            sid = f"J-{n}"
            steps = [
                {"type": "begin"},
                {"type": "continue", "input": "2"},
                {"type": "continue", "input": f"m{n}"},
            ]
            out = []
            for step in steps:
                status, data = await s.js({"session_id": sid, "msisdn": "8613800138000",
                                           "service_code": "*100#", **step})
                assert status == 200
                out.append(data["message"])
            return out

        results = await asyncio.gather(
            *(at_session(n) for n in range(50)), *(json_session(n) for n in range(50))
        )
        for n, steps in enumerate(results[:50]):
            assert steps == ["CON " + MAIN, "CON 请输入留言", f"CON 收到:msg{n}*x"]
        for n, steps in enumerate(results[50:]):
            assert steps == [MAIN, "请输入留言", f"收到:m{n}"]
        assert len(s.handler.seen) == 300
        assert s.count("sessions_begun", "at") == 50
        assert s.count("sessions_begun", "json") == 50
        assert s.count("requests", "at") == 150
        assert len(s.gateway.locks) == 0


async def test_retry_arriving_while_the_original_runs_waits_and_gets_the_same_answer() -> None:
    async with live() as s:
        await s.at_text("S", "")
        first = asyncio.create_task(s.at_text("S", "3"))
        while len(s.handler.seen) < 2:
            await asyncio.sleep(0)
        second = asyncio.create_task(s.at_text("S", "3"))
        while s.gateway.locks.users("at:S") < 2:
            await asyncio.sleep(0)
        s.handler.release.set()
        assert await first == await second == "END 慢查询结果: 42"
        assert [t for _, t in s.handler.inputs("S")] == ["", "3"]
