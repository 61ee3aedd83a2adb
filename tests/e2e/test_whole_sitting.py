"""A whole sitting in real browsers: the console, five judges' phones and the hall display."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_display_page import SPEECH_STUB, sign_by_dragging, spoken, tap, turn_sound_on
from tests.e2e.test_judge_page import key_in
from tests.support import PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}
TV = {"width": 1920, "height": 1080}
MARKS = ["86.5", "79.5", "91.5", "83.5", "88.5"]  # drop 91.5 (seat 3) and 79.5 (seat 2)
RESULT = "86.17"  # (86.5 + 83.5 + 88.5) / 3 = 86.1666...
MARKS_2 = ["70.0", "75.5", "80.0", "90.0", "100.0"]  # drop 100 (seat 5) and 70.0 (seat 1)
RESULT_2 = "81.83"  # (75.5 + 80 + 90) / 3 = 81.8333...


def test_a_whole_sitting_in_real_browsers(browser: Any, server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=5, candidates=2, title="全流程场次")
    sid, iid_2 = sitting["id"], sitting["interviews"][1]["id"]
    contexts = []

    def context(viewport: dict[str, int], **kw: Any) -> Any:
        ctx = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN", **kw)
        contexts.append(ctx)
        return ctx

    try:
        # The secretary logs in and opens the sitting.
        console = context({"width": 1366, "height": 768}).new_page()
        errors: list[str] = []
        console.on("pageerror", lambda exc: errors.append(str(exc)))
        console.goto(f"{server.url}/console#s={sid}")
        console.get_by_label("密码").fill(PASSWORD)
        console.get_by_label("密码").press("Enter")
        expect(console.locator("#session-meta")).to_contain_text("全流程场次")

        # The hall display, speech captured instead of spoken.
        display_ctx = context(TV)
        display_ctx.add_init_script(SPEECH_STUB)
        display = display_ctx.new_page()
        display.goto(sitting["display"]["url"])
        expect(display.locator("#display")).to_have_attribute("data-mode", "idle")
        turn_sound_on(display)  # the one tap that lets the display speak

        # Five phones.
        phones = []
        for judge in sitting["judges"]:
            phone = context(PHONE, has_touch=True).new_page()
            phone.goto(judge["url"])
            expect(phone.locator("#status")).to_have_attribute("data-state", "not_open")
            phones.append(phone)

        # The secretary starts the first interview from the console.
        current = console.locator("#current-body")
        current.get_by_role("button", name="开始面试").click()
        expect(current.locator(".badge")).to_have_text("面试中")
        expect(display.locator("#display")).to_have_attribute("data-mode", "interviewing")
        expect(display.locator("#progress")).to_have_text("已评分 0/5")
        for phone in phones:
            expect(phone.locator("#status")).to_have_attribute("data-state", "ready")
        expect(console.locator("#current-body .seat.conn-live")).to_have_count(5)

        # Seat 1 types a bad mark first: refused on the phone, nothing sent.
        key_in(phones[0], "105")
        phones[0].click("#submit-btn")
        expect(phones[0].locator("#error")).to_contain_text("100")
        expect(phones[0].locator("#confirm")).to_be_hidden()
        screenshot(phones[0], "sitting-judge1-bad-mark")
        for _ in range(3):
            phones[0].click('button[data-key="back"]')

        # Seat 2 loses the Wi-Fi, confirms its mark offline, and comes back.
        phones[1].context.set_offline(True)
        expect(phones[1].locator("#conn")).to_have_attribute("data-conn", "offline")
        key_in(phones[1], MARKS[1])
        phones[1].click("#submit-btn")
        phones[1].click("#confirm-yes")
        expect(phones[1].locator("#status")).to_have_attribute("data-state", "pending")
        screenshot(phones[1], "sitting-judge2-offline")

        for seat in (0, 2, 3):
            key_in(phones[seat], MARKS[seat])
            phones[seat].click("#submit-btn")
            expect(phones[seat].locator("#confirm")).to_contain_text(f"最终打分为 {MARKS[seat]} 分，确认提交？")
            phones[seat].click("#confirm-yes")
            expect(phones[seat].locator("#my-score")).to_have_text(MARKS[seat])
        expect(display.locator("#progress")).to_have_text("已评分 3/5")
        expect(console.locator("#current-body .seat.submitted")).to_have_count(3)
        html = display.content()
        assert not any(mark in html for mark in MARKS), "a mark reached the display early"
        screenshot(display, "sitting-display-progress")

        phones[1].context.set_offline(False)
        expect(phones[1].locator("#my-score")).to_have_text(MARKS[1], timeout=20_000)
        expect(display.locator("#progress")).to_have_text("已评分 4/5")

        key_in(phones[4], MARKS[4])
        phones[4].click("#submit-btn")
        phones[4].click("#confirm-yes")
        expect(phones[4].locator("#status")).to_have_attribute("data-state", "submitted")
        for phone in phones:  # no judge ever shows another judge's mark
            text = phone.content()
            mine = MARKS[phones.index(phone)]
            assert not [m for m in MARKS if m != mine and m in text]
        screenshot(phones[4], "sitting-judge5-submitted")

        # Scored: the result is kept; the display shows nothing of it yet. The candidate waits
        # outside, and the console leads on to the next interview (the plan's rhythm).
        assert api.get_session(sid)["interviews"][0]["result"] == RESULT
        assert RESULT not in display.content()
        expect(display.locator("#display")).to_have_attribute("data-mode", "idle")
        screenshot(console, "sitting-console-scored")

        current.get_by_role("button", name="开始面试").click()
        expect(display.locator("#current")).to_contain_text("2 号 面试中")
        for seat, phone in enumerate(phones):
            expect(phone.locator("#candidate")).to_contain_text("2 号考生")
            key_in(phone, MARKS_2[seat])
            phone.click("#submit-btn")
            phone.click("#confirm-yes")
            expect(phone.locator("#my-score")).to_have_text(MARKS_2[seat])
        assert api.get_session(sid)["interviews"][1]["result"] == RESULT_2
        assert RESULT_2 not in display.content()

        # Candidate 2's interview has ended: candidate 1 is back and the secretary announces.
        current.get_by_role("button", name="宣布成绩").click()
        expect(display.locator("#display")).to_have_attribute("data-mode", "announcement")
        expect(display.locator("#announce-title")).to_contain_text("1 号考生")
        expect(display.locator("#result")).to_contain_text(RESULT)
        assert RESULT_2 not in display.content()
        expect(display.locator('.mark[data-seat="3"]')).to_have_class(re.compile(r"\bdropped-high\b"))
        expect(display.locator('.mark[data-seat="2"]')).to_have_class(re.compile(r"\bdropped-low\b"))
        for seat in (2, 3):
            line = display.locator(f'.mark[data-seat="{seat}"]').evaluate(
                "el => [el, ...el.querySelectorAll('*')].map(n => getComputedStyle(n).textDecorationLine).join(' ')"
            )
            assert "line-through" in line
        expect(display.locator("#replay-btn")).to_be_visible()
        display.wait_for_function("() => window.__spoken.length > 0")
        assert spoken(display)[0] == {
            "text": f"岗位A1岗位1号考生，去掉一个最高分91.5分，去掉一个最低分79.5分，最终面试得分{RESULT}分",
            "lang": "zh-CN",
        }
        screenshot(display, "sitting-display-announcement")
        # Candidate 2 cannot take the screen before candidate 1 has signed.
        api.flow(iid_2, "announce", expect=409)

        # The candidate signs: a tap is refused, a real signature is taken.
        tap(display)
        display.click("#sign-submit")
        expect(display.locator("#sign-error")).to_be_visible()
        display.click("#sign-clear")
        sign_by_dragging(display)
        display.click("#sign-submit")
        expect(display.locator("#signed")).to_contain_text("已签字确认")
        screenshot(display, "sitting-display-signed")

        # The console shows the interview confirmed, and the record agrees.
        expect(console.locator("#queue tbody tr").first.locator(".badge")).to_have_text("已确认")
        screenshot(console, "sitting-console-confirmed")
        row = api.get_session(sid)["interviews"][0]
        assert row["state"] == "confirmed" and row["result"] == RESULT
        assert [m["score"] for m in row["marks"]] == MARKS
        audit = [json.loads(line) for line in api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text.splitlines()]
        assert sum(1 for e in audit if e["kind"] == "mark.submitted") == 10  # the offline one once

        # The last candidate is announced, does not come back, and the secretary notes it.
        api.flow(iid_2, "announce")
        expect(display.locator("#announce-title")).to_contain_text("2 号考生")
        display.wait_for_function("() => window.__spoken.length > 1")
        assert spoken(display)[1]["text"].startswith("岗位A1岗位2号考生，")
        api.flow(iid_2, "dispute", note="考生未返回签字")
        expect(display.locator("#disputed")).to_have_text("已记录：考生未签字确认")
        expect(display.locator("#sign-canvas")).to_be_hidden()
        screenshot(display, "sitting-display-disputed")
        assert errors == []
    finally:
        for ctx in contexts:
            ctx.close()
