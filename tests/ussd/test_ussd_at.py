"""Africa's Talking dialect over a real loopback HTTP server."""

from __future__ import annotations

from .helpers import MAIN, MSISDN, live


async def test_first_request_with_empty_text_gets_con_main_menu() -> None:
    async with live() as s:
        resp = await s.at("AT1", "")
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        assert await resp.text() == "CON " + MAIN
        (first,) = s.handler.seen
        assert (first.channel, first.event, first.msisdn) == ("ussd", "begin", MSISDN)
        assert (first.session_key, first.service_code, first.text) == ("AT1", "*100#", "")


async def test_choosing_balance_ends_with_end_prefix() -> None:
    async with live() as s:
        await s.at_text("AT1", "")
        assert await s.at_text("AT1", "1") == "END 您的余额为 50.00 元"
        assert s.handler.inputs("AT1") == [("begin", ""), ("input", "1")]


async def test_engine_receives_only_the_newest_input() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "2")
        assert await s.at_text("S", "2*hello") == "CON 收到:hello"
        assert await s.at_text("S", "2*hello*world") == "CON 收到:world"
        assert s.handler.inputs("S")[1:] == [("input", "2"), ("input", "hello"), ("input", "world")]


async def test_inputs_containing_star_survive_prefix_stripping() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "2")
        assert await s.at_text("S", "2**123") == "CON 收到:*123"
        assert await s.at_text("S", "2**123*4*5") == "CON 收到:4*5"
        assert await s.at_text("S", "2**123*4*5*") == "CON 收到:"
        texts = [t for _, t in s.handler.inputs("S")]
        assert texts == ["", "2", "*123", "4*5", ""]


async def test_first_input_that_starts_with_star() -> None:
    async with live() as s:
        await s.at_text("S", "")
        assert await s.at_text("S", "*9") == "CON 无效选择\n" + MAIN
        assert s.handler.inputs("S")[-1] == ("input", "*9")


async def test_retry_of_same_request_repeats_the_answer_without_a_second_step() -> None:
    async with live() as s:
        first = await s.at_text("S", "")
        assert await s.at_text("S", "") == first
        await s.at_text("S", "2")
        assert await s.at_text("S", "2*hi") == "CON 收到:hi"
        assert await s.at_text("S", "2*hi") == "CON 收到:hi"
        assert s.handler.inputs("S") == [("begin", ""), ("input", "2"), ("input", "hi")]
        assert s.count("retries") == 2


async def test_retry_of_the_final_request_repeats_end() -> None:
    async with live() as s:
        await s.at_text("S", "")
        assert await s.at_text("S", "1") == "END 您的余额为 50.00 元"
        assert await s.at_text("S", "1") == "END 您的余额为 50.00 元"
        assert len(s.handler.seen) == 2


async def test_text_that_does_not_extend_the_prefix_uses_its_last_segment() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "2")
        assert await s.at_text("S", "9*8*7") == "CON 收到:7"
        assert await s.at_text("S", "9*8*7*6") == "CON 收到:6"
        assert s.count("resyncs") == 1


async def test_invalid_option_reprompts_with_con() -> None:
    async with live() as s:
        await s.at_text("S", "")
        assert (await s.at_text("S", "7")).startswith("CON 无效选择")


async def test_input_after_end_is_answered_end_session_over() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "1")
        assert await s.at_text("S", "1*2") == "END 会话已结束，请重新拨号"
        assert len(s.handler.seen) == 2


async def test_after_the_record_times_out_the_last_segment_goes_to_the_engine() -> None:
    async with live(session_timeout=30) as s:
        await s.at_text("S", "")
        s.clock.advance(29)
        assert await s.at_text("S", "2") == "CON 请输入留言"
        assert await s.at_text("S", "2") == "CON 请输入留言"  # still cached: a retry
        s.clock.advance(31)
        assert await s.at_text("S", "2*x*y") == "CON 收到:y"
        assert s.handler.inputs("S")[-1] == ("input", "y")
        assert s.count("resyncs") == 1
        assert s.count("sessions_expired") == 0


async def test_end_of_session_notification_aborts_an_open_session() -> None:
    async with live() as s:
        await s.at_text("S", "")
        resp = await s.at("S", "", status="Incomplete", networkCode="46000")
        assert resp.status == 200
        assert s.handler.inputs("S") == [("begin", ""), ("end", "")]
        assert s.handler.seen[-1].meta == {"dialect": "at", "network_code": "46000", "status": "Incomplete"}
        assert s.count("sessions_aborted") == 1


async def test_notification_after_end_on_the_events_path_is_only_acknowledged() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "1")
        form = {"sessionId": "S", "phoneNumber": MSISDN, "status": "Success", "serviceCode": "*100#"}
        events = await s.client.post("/ussd/at/events", data=form)
        assert (events.status, await events.text()) == (200, "OK")
        assert len(s.handler.seen) == 2
        assert s.count("sessions_aborted") == 0


async def test_national_and_00_numbers_become_e164_with_default_country_code() -> None:
    async with live() as s:
        for n, number in enumerate(["13800138000", "013800138000", "008613800138000", "+86 138-0013-8000"]):
            await s.client.post("/ussd/at", data={"sessionId": f"N{n}", "serviceCode": "*100#",
                                                  "phoneNumber": number, "text": ""})
        assert {i.msisdn for i in s.handler.seen} == {MSISDN}


async def test_star_shortcut_service_code_is_passed_as_dialled() -> None:
    async with live() as s:
        await s.client.post("/ussd/at", data={"sessionId": "Q", "serviceCode": "*100*1#",
                                              "phoneNumber": MSISDN, "text": ""})
        assert s.handler.seen[0].service_code == "*100*1#"


async def test_unencoded_plus_in_phone_number_still_means_international() -> None:
    async with live() as s:
        body = b"sessionId=K&serviceCode=*100%23&phoneNumber=+254711000111&text="
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        assert (await s.client.post("/ussd/at", data=body, headers=headers)).status == 200
        assert s.handler.seen[0].msisdn == "254711000111"


async def test_empty_text_on_a_session_that_moved_on_is_a_new_dial() -> None:
    async with live() as s:
        await s.at_text("S", "")
        await s.at_text("S", "2")
        assert await s.at_text("S", "") == "CON " + MAIN
        assert s.handler.inputs("S") == [("begin", ""), ("input", "2"), ("begin", "")]
        assert await s.at_text("S", "1") == "END 您的余额为 50.00 元"
