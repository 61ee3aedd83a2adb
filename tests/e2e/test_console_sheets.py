"""The console's score sheet (评分要素): a sitting made from a template and edited, and the
judges' calibration panel with its chart, in a real Chromium at 1366×768."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.support import PASSWORD, Api, ServerProcess, Socket

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def test_a_sheet_from_a_template_and_the_calibration_panel(
    page: Any, server: ServerProcess, api: Api
) -> None:
    page.goto(f"{server.url}/console")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator(".topbar")).to_be_visible()

    page.get_by_role("button", name="新建场次").first.click()
    dialog = page.locator("#session-dialog")
    dialog.get_by_label("场次名称").fill("要素评分场次")
    dialog.get_by_label("评委人数").fill("5")
    expect(dialog.locator("#sheet-template option")).to_have_count(
        6
    )  # one number, 4 templates, custom
    dialog.locator("#sheet-template").select_option(label="结构化面试（通用六要素）")
    rows = dialog.locator("#criteria-rows tr")
    expect(rows).to_have_count(6)
    expect(dialog.locator("#criteria-sum")).to_contain_text("合计 100 分")
    # An edit that breaks the sum is said at once; put right, it is 100 again.
    rows.nth(5).locator('[name="c_max"]').fill("5")
    expect(dialog.locator("#criteria-sum")).to_contain_text("合计 95 分（须为 100 分）")
    rows.nth(5).locator('[name="c_max"]').fill("10")
    rows.nth(5).locator('[name="c_name"]').fill("仪表举止")
    dialog.get_by_label("去分规则").select_option("per_criterion")
    screenshot(page, "console-sheet-1-create")
    dialog.get_by_role("button", name="创建").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#session-meta")).to_contain_text("按要素 6")
    sitting = next(
        s for s in api.call("GET", "/api/sessions", 200).json() if s["title"] == "要素评分场次"
    )
    got = api.get_session(sitting["id"])
    assert got["trim"] == "per_criterion"
    assert [c["name"] for c in got["criteria"]][-1] == "仪表举止"
    codes = [c["code"] for c in got["criteria"]]

    # Two candidates scored by five judges over their sockets; seat 5 always high.
    sid = got["id"]
    api.position(sid)
    interviews = [api.interview(sid, n, f"考生{n}") for n in (1, 2)]
    links = api.call("GET", f"/api/sessions/{sid}/links", 200).json()["judges"]
    sockets = [Socket(f"{server.ws_url}/ws/judge/{j['url'].rsplit('/', 1)[1]}") for j in links]
    try:
        for sock in sockets:
            sock.recv()
        sheets_by_seat = [
            ["15", "15", "10", "15", "10", "7"],
            ["14", "15", "11", "14", "11", "7"],
            ["16", "15", "10", "15", "10", "8"],
            ["15", "14", "10", "16", "10", "7"],
            ["19", "19", "14", "19", "14", "9"],
        ]
        for n, iv in enumerate(interviews):
            api.flow(iv["id"], "start")
            for seat, values in enumerate(sheets_by_seat, start=1):
                parts = dict(zip(codes, values, strict=True))
                if n == 1:
                    parts[codes[0]] = str(int(values[0]) - 1)
                sockets[seat - 1].send(
                    {
                        "type": "submit",
                        "request_id": f"{n}-{seat}",
                        "interview_id": iv["id"],
                        "parts": parts,
                    }
                )
                assert (
                    sockets[seat - 1].recv_until("ack", request_id=f"{n}-{seat}")["type"] == "ack"
                )
            if n == 0:
                api.flow(iv["id"], "announce")
                api.flow(iv["id"], "dispute", note="考生未返回考场听分")
    finally:
        for sock in sockets:
            sock.close()

    panel = page.locator("#judges-panel")
    page.get_by_role("button", name="刷新").click()
    expect(panel).to_be_visible()
    expect(panel.locator("table.judges tbody tr")).to_have_count(5)
    seat5 = panel.locator('table.judges tbody tr[data-seat="5"]')
    expect(seat5.locator("td").nth(1)).to_have_text("2")
    expect(seat5.locator("td").nth(4)).to_contain_text("+")
    expect(panel.locator("svg.deviation-chart g[data-seat]")).to_have_count(5)
    expect(panel.locator("svg.deviation-chart circle")).to_have_count(10)
    panel.scroll_into_view_if_needed()
    screenshot(page, "console-sheet-2-calibration")
    # The current candidate's seats show their parts under the total once scored.
    expect(page.locator("#current-body .seat .parts").first).to_contain_text("综合分析能力")
