"""The console leads the secretary through the plan's rhythm (issue 9), in a real Chromium.

A candidate leaves after the interview and waits outside; once the next candidate's interview
has ended, they come back, hear the score on the hall display and sign. The panel stays on the
candidate on screen until they sign or a note is recorded, and the next step is always the
biggest button.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import contrast_failures, screenshot
from tests.support import PASSWORD, Api, ServerProcess, Socket

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

STROKES = [[[0, 0, 0], [60, 40, 10], [120, 10, 20]], [[10, 80, 30], [90, 90, 40], [150, 60, 50]]]


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def open_console(page: Any, server: ServerProcess, sid: int) -> None:
    page.goto(f"{server.url}/console#s={sid}")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator(".topbar")).to_be_visible()
    expect(page.locator("#queue tbody tr").first).to_be_visible()


def biggest_button(page: Any) -> str:
    """The text of the largest visible button of the live panel."""
    return page.evaluate(
        """() => {
          const buttons = [...document.querySelectorAll('#current-body button')]
            .filter((b) => b.offsetParent !== null);
          const area = (b) => { const r = b.getBoundingClientRect(); return r.width * r.height; };
          buttons.sort((a, b) => area(b) - area(a));
          return buttons.length ? buttons[0].textContent.trim() : '';
        }"""
    )


def both_sizes(page: Any, name: str) -> None:
    screenshot(page, f"{name}-1366x768")
    page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(page, f"{name}-1920x1080")
    page.set_viewport_size({"width": 1366, "height": 768})


class Panel:
    """Seven judges' phones on real sockets."""

    def __init__(self, server: ServerProcess, sitting: dict[str, Any]) -> None:
        self.phones = {j["seat"]: Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in sitting["judges"]}

    def score(self, iid: int, marks: list[str]) -> None:
        for (seat, phone), mark in zip(sorted(self.phones.items()), marks, strict=True):
            assert phone.submit(iid, mark, f"r{iid}-{seat}")["type"] == "ack"

    def close(self) -> None:
        for phone in self.phones.values():
            phone.close()


def test_the_panel_follows_the_rhythm_of_the_day(page: Any, server: ServerProcess, api: Api) -> None:
    sitting = api.session(judge_count=7, title="节奏测试场次")
    sid = sitting["id"]
    api.position(sid, "A1", name="综合管理岗")
    ids = [api.interview(sid, n, name, "A1")["id"] for n, name in enumerate(["张三", "李四", "王五"], start=1)]
    zhang, li, wang = ids
    panel = Panel(server, sitting)
    try:
        open_console(page, server, sid)
        current = page.locator("#current-body")
        note = page.locator("#pending-note")

        # 1. The first candidate: starting is the step, and the biggest button.
        expect(current).to_contain_text("张三")
        assert biggest_button(page) == "开始面试"
        current.get_by_role("button", name="开始面试").click()
        expect(current.locator(".badge")).to_have_text("面试中")
        expect(current.locator("[data-key=wait-scores]")).to_contain_text("等待评分（0 / 7）")
        assert biggest_button(page).startswith("等待评分")
        panel.score(zhang, ["80", "82", "81", "83", "79", "84", "80"])

        # 2. Scored: 张三 waits outside; the next step is 李四's interview.
        expect(current).to_contain_text("李四")
        expect(note).to_contain_text("A1 岗位 1 号考生张三已评分，正在场外候分")
        assert biggest_button(page) == "开始面试"
        current.get_by_role("button", name="开始面试").click()
        expect(current.locator(".badge")).to_have_text("面试中")
        expect(note).to_contain_text("场外候分")
        panel.score(li, ["88", "90", "89", "87", "88", "86", "91"])

        # 3. 李四's interview has ended: 张三 may come back to hear the score.
        expect(current).to_contain_text("张三")
        expect(note).to_contain_text("2 号考生的面试已结束：请A1 岗位 1 号考生张三返回考场听分")
        assert biggest_button(page) == "宣布成绩"
        expect(page.locator("#result")).to_have_text("81.20")
        assert contrast_failures(page) == []
        both_sizes(page, "console-rhythm-1-come-back")

        # 4. Announced: the panel stays on 张三 until they sign or a note is recorded.
        current.get_by_role("button", name="宣布成绩").click()
        expect(current.locator(".badge")).to_have_text("已宣布")
        expect(current).to_contain_text("张三")
        expect(current.locator("[data-key=wait-signature]")).to_have_text("等待签字")
        expect(current.get_by_role("button", name="记录未签字说明")).to_be_visible()
        assert biggest_button(page) == "等待签字"
        expect(note).to_contain_text("请A1 岗位 1 号考生张三在大屏前听分并签字确认")
        both_sizes(page, "console-rhythm-2-signing")

        # Looking at 李四 meanwhile: announcing them is not offered while 张三 is on screen.
        page.locator(f"#queue tbody tr[data-id='{li}']").get_by_role("button", name="查看").click()
        expect(current).to_contain_text("李四")
        expect(current.get_by_role("button", name="宣布成绩")).to_be_disabled()
        expect(current.locator(".blocked")).to_contain_text("张三的成绩仍在大屏上")
        current.get_by_role("button", name="回到当前步骤").click()
        expect(current.locator("[data-key=wait-signature]")).to_be_visible()

        # 5. 张三 signs on the display: the panel says so and offers 下一位.
        signed = httpx.post(f"{server.url}/api/display/{sitting['display']['token']}/signature",
                            json={"interview_id": zhang, "strokes": STROKES})
        assert signed.status_code == 201
        expect(current.locator(".badge")).to_have_text("已确认")
        expect(note).to_contain_text("张三已签字确认")
        assert biggest_button(page) == "下一位"
        current.get_by_role("button", name="下一位").click()

        # 6. Next: 王五's interview, while 李四 waits outside.
        expect(current).to_contain_text("王五")
        expect(note).to_contain_text("李四已评分，正在场外候分")
        current.get_by_role("button", name="开始面试").click()
        expect(current.locator(".badge")).to_have_text("面试中")
        panel.score(wang, ["70", "72", "71", "73", "69", "74", "70"])
        expect(current).to_contain_text("李四")
        expect(note).to_contain_text("3 号考生的面试已结束")
        current.get_by_role("button", name="宣布成绩").click()
        expect(current.locator("[data-key=wait-signature]")).to_be_visible()

        # 7. 李四 does not come back to sign: the note is required, a quick choice fills it.
        current.get_by_role("button", name="记录未签字说明").click()
        dialog = page.locator("#dispute-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("李四")
        dialog.get_by_role("button", name="确认").click()
        expect(dialog).to_be_visible()  # an empty note is not sent
        dialog.get_by_role("button", name="考生未返回").click()
        expect(dialog.get_by_label("说明（必填）")).to_have_value("考生未返回考场听分")
        screenshot(page, "console-rhythm-3-note-1366x768")
        dialog.get_by_role("button", name="确认").click()
        expect(dialog).to_be_hidden()
        expect(current.locator(".badge")).to_have_text("未签字")
        expect(note).to_contain_text("李四未签字，已记录说明")
        row = next(i for i in api.get_session(sid)["interviews"] if i["id"] == li)
        assert row["state"] == "disputed" and row["note"] == "考生未返回考场听分"
        display = httpx.get(f"{server.url}/api/display/{sitting['display']['token']}/state").json()
        assert display["announcement"]["interview_id"] == li
        assert display["announcement"]["state"] == "disputed"

        # 8. The last candidate is announced after a pause.
        current.get_by_role("button", name="下一位").click()
        expect(current).to_contain_text("王五")
        expect(note).to_contain_text("王五是最后一位")
        assert biggest_button(page) == "宣布成绩"
        both_sizes(page, "console-rhythm-4-last")
        current.get_by_role("button", name="宣布成绩").click()
        expect(current.locator("[data-key=wait-signature]")).to_be_visible()
    finally:
        panel.close()


def test_readable_sizes_and_every_link_without_an_inner_scroll(page: Any, server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=7, candidates=3, title="链接测试场次")
    open_console(page, server, sitting["id"])
    expect(page.locator("#links li")).to_have_count(8)
    for viewport in ({"width": 1366, "height": 768}, {"width": 1920, "height": 1080}):
        page.set_viewport_size(viewport)
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.badge, th, #links .url, #links strong, label, .small')]
                 .filter((e) => e.offsetParent !== null)
                 .map((e) => [e.className || e.tagName, parseFloat(getComputedStyle(e).fontSize)])"""
        )
        small = [s for s in sizes if s[1] < 14]
        assert sizes and small == [], small
        links = page.locator("#links")
        box = links.evaluate(
            "e => ({scroll: e.scrollHeight, client: e.clientHeight, overflow: getComputedStyle(e).overflowY})"
        )
        assert box["scroll"] <= box["client"] + 1 and box["overflow"] in ("visible", "clip"), box
        page.locator("#links-title").scroll_into_view_if_needed()
        expect(page.locator("#links li[data-seat='7']")).to_be_visible()
        expect(page.locator("#links li.display-link")).to_contain_text(sitting["display"]["url"])
        page.locator(".links-panel").scroll_into_view_if_needed()
        screenshot(page, f"console-links-{viewport['width']}x{viewport['height']}")
    assert contrast_failures(page) == []
