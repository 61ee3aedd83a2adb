"""The secretary's console in a real Chromium against a real server, judges on real sockets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import contrast_failures, screenshot
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


def log_in(page: Any, server: ServerProcess) -> None:
    page.goto(f"{server.url}/console")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator(".topbar")).to_be_visible()


def sitting_id(api: Api, title: str) -> int:
    return next(s["id"] for s in api.call("GET", "/api/sessions", 200).json() if s["title"] == title)


def seat(page: Any, n: int) -> Any:
    return page.locator(f"#current-body .seat[data-seat='{n}']")


def test_secretary_runs_a_sitting(page: Any, server: ServerProcess, api: Api) -> None:
    log_in(page, server)

    # A sitting: 5 judges, at least 4 marks so that one seat can be excused.
    page.get_by_role("button", name="新建场次").first.click()
    dialog = page.locator("#session-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("场次名称").fill("浏览器测试场次")
    dialog.get_by_label("评委人数").fill("5")
    dialog.get_by_label("最少有效评分").fill("4")
    dialog.get_by_label("最少有效评分").press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#session-meta")).to_contain_text("浏览器测试场次")
    sid = sitting_id(api, "浏览器测试场次")

    # A post.
    form = page.locator("#position-form")
    form.get_by_label("岗位代码").fill("A01")
    form.get_by_label("岗位名称").fill("综合管理岗")
    form.get_by_role("button", name="添加岗位").click()
    expect(page.locator("#positions")).to_contain_text("综合管理岗")

    # A roster with bad rows is refused whole, each line named; the corrected one goes in.
    upload = page.locator("#roster-form input[type=file]")
    bad = "抽签号,姓名,岗位代码\n1,张三,A01\nx,李四,A01\n2,王五,B99\n".encode("utf-8-sig")
    upload.set_input_files({"name": "名单.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="导入名单").click()
    expect(page.locator("#roster-result")).to_contain_text("第 3 行")
    expect(page.locator("#roster-result")).to_contain_text("第 4 行")
    expect(page.locator("#queue tbody tr")).to_have_count(0)
    good = "抽签号,姓名,岗位代码\n1,张三,A01\n2,李四,A01\n3,王五,A01\n".encode("gbk")
    upload.set_input_files({"name": "名单.csv", "mimeType": "text/csv", "buffer": good})
    page.get_by_role("button", name="导入名单").click()
    expect(page.locator("#roster-result")).to_contain_text("已导入 3 名考生")
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    expect(page.locator("#links li")).to_have_count(6)  # 5 seats and the display, with QR codes

    # Start the first interview with a countdown.
    current = page.locator("#current-body")
    expect(current).to_contain_text("张三")
    current.locator("input[name=minutes]").fill("8")
    current.get_by_role("button", name="开始面试").click()
    expect(current.locator(".badge")).to_have_text("面试中")
    expect(page.locator("#countdown")).to_contain_text("倒计时 0")

    # The judges' phones connect: every seat shows up live.
    links = api.call("GET", f"/api/sessions/{sid}/links", 200).json()
    phones = {j["seat"]: Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in links["judges"]}
    try:
        expect(page.locator("#current-body .seat.conn-live")).to_have_count(5)
        iid = api.get_session(sid)["interviews"][0]["id"]
        for n, mark in [(1, "80"), (2, "82"), (3, "81")]:
            assert phones[n].submit(iid, mark, f"r{n}")["type"] == "ack"
        expect(page.locator("#current-body .seat.submitted")).to_have_count(3)
        expect(seat(page, 1)).to_contain_text("已提交")
        expect(seat(page, 4)).to_contain_text("未提交")
        expect(current).to_contain_text("已提交 3 / 5")
        expect(page.locator("#queue tbody tr").first).to_contain_text("3/5")
        # A phone that leaves shows as not connected.
        phones.pop(4).close()
        expect(seat(page, 4)).to_have_class(re.compile(r"\bconn-off\b"))
        expect(seat(page, 4)).to_contain_text("未连接")
        phones[4] = Socket(f"{server.ws_url}/ws/judge/{links['judges'][3]['token']}")
        expect(seat(page, 4)).to_contain_text("在线")

        for n, mark in [(4, "83"), (5, "40")]:
            assert phones[n].submit(iid, mark, f"r{n}")["type"] == "ack"
        # Scored: 张三 waits outside while the panel moves on to 李四's interview.
        expect(page.locator("#pending-note")).to_contain_text("张三已评分，正在场外候分")
        expect(current).to_contain_text("李四")
        # The secretary looks back at 张三: the far-off mark is flagged before anyone announces it.
        page.locator("#queue tbody tr").first.get_by_role("button", name="查看").click()
        expect(current.locator(".badge")).to_have_text("已评分")
        expect(page.locator("#outlier-warning")).to_contain_text("第 5 席")
        expect(page.locator("#result")).to_have_text("81.00")
        expect(seat(page, 5)).to_have_class(re.compile(r"\boutlier\b"))
        expect(seat(page, 5)).to_contain_text("去掉最低分")
        expect(seat(page, 4)).to_contain_text("去掉最高分")
        expect(page.locator("#ranking")).to_contain_text("张三")  # the post's ranking, live
        failures = contrast_failures(page)
        assert failures == [], failures
        screenshot(page, "console-scored-outlier-1366x768")
        page.set_viewport_size({"width": 1920, "height": 1080})
        screenshot(page, "console-scored-outlier-1920x1080")
        page.set_viewport_size({"width": 1366, "height": 768})

        # Announce: the warning asks once more; then the state changes everywhere.
        current.get_by_role("button", name="宣布成绩").click()
        announce = page.locator("#announce-dialog")
        expect(announce).to_be_visible()
        expect(announce).to_contain_text("第 5 席")
        announce.get_by_role("button", name="宣布成绩").click()
        expect(announce).to_be_hidden()
        expect(page.locator("#queue tbody tr").first.locator(".badge")).to_have_text("已宣布")
        assert api.get_session(sid)["interviews"][0]["state"] == "announced"

        # The panel stays on 张三 until they sign or a note says why not (here: they decline).
        expect(current).to_contain_text("张三")
        expect(current.locator("[data-key=wait-signature]")).to_have_text("等待签字")
        current.get_by_role("button", name="记录未签字说明").click()
        dispute = page.locator("#dispute-dialog")
        dispute.get_by_role("button", name="考生拒绝签字").click()
        dispute.get_by_role("button", name="确认").click()
        expect(dispute).to_be_hidden()
        expect(page.locator("#queue tbody tr").first.locator(".badge")).to_have_text("未签字")
        current.get_by_role("button", name="下一位").click()

        # The next one: start it, excuse a seat through the dialog, score it, announce it.
        expect(current).to_contain_text("李四")
        current.get_by_role("button", name="开始面试").click()
        expect(current.locator(".badge")).to_have_text("面试中")
        iid2 = api.get_session(sid)["interviews"][1]["id"]
        current.get_by_role("button", name="免评席位").click()
        excuse = page.locator("#seat-dialog")
        excuse.get_by_label("评委席位").select_option("5")
        excuse.get_by_role("button", name="确认").click()
        expect(excuse.locator(".error")).to_be_hidden()  # the browser wants a reason first
        excuse.get_by_label("原因（必填）").fill("评委临时离场")
        excuse.get_by_role("button", name="确认").click()
        expect(excuse).to_be_hidden()
        expect(seat(page, 5)).to_contain_text("免评")
        expect(current).to_contain_text("评委临时离场")
        for n, mark in [(1, "88"), (2, "90"), (3, "89"), (4, "87")]:
            assert phones[n].submit(iid2, mark, f"s{n}")["type"] == "ack"
        # 王五 does not come: 李四 is then the last, and comes back to hear the score.
        expect(current).to_contain_text("王五")
        current.get_by_role("button", name="缺考").click()
        expect(current).to_contain_text("李四")
        expect(page.locator("#result")).to_have_text("88.50")
        expect(page.locator("#outlier-warning")).to_have_count(0)
        current.get_by_role("button", name="宣布成绩").click()  # no outlier: no extra question
        expect(page.locator("#queue tbody tr").nth(1).locator(".badge")).to_have_text("已宣布")
        screenshot(page, "console-after-announce-1366x768")
    finally:
        for phone in phones.values():
            phone.close()


def test_keyboard_only_login_start_and_dialog(page: Any, server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=5, candidates=2, title="键盘操作场次", min_scores=4)
    page.goto(f"{server.url}/console")
    assert page.evaluate("document.activeElement.id") == "password"  # autofocus
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#session-meta")).to_contain_text("键盘操作场次")
    screenshot(page, "console-ready-1366x768")

    def tab_to(key: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.dataset.key") == key:
                return
        raise AssertionError(f"Tab never reached {key}")

    tab_to("start")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows no focus ring"
    page.keyboard.press("Enter")
    expect(page.locator("#current-body .badge")).to_have_text("面试中")
    assert api.get_session(sitting["id"])["interviews"][0]["state"] == "interviewing"

    # A dialog keeps the focus inside while open and hands it back on Escape.
    tab_to("excuse")
    page.keyboard.press("Enter")
    dialog = page.locator("#seat-dialog")
    expect(dialog).to_be_visible()
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('#seat-dialog')") or page.evaluate(
            "document.activeElement === document.body"
        )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.key") == "excuse"

    # Enter in the dialog submits it.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")  # seat → reason
    page.keyboard.type("手机没电")
    page.keyboard.press("Tab")  # → cancel
    page.keyboard.press("Tab")  # → confirm
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#current-body")).to_contain_text("手机没电")
    marks = api.get_session(sitting["id"])["interviews"][0]["marks"]
    assert [m["seat"] for m in marks if m["excused"]] == [1]


def test_corrections_before_the_start(page: Any, server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=5, candidates=2, title="更正测试场次")
    sid = sitting["id"]
    api.position(sid, "B2", name="待删岗位")
    page.goto(f"{server.url}/console#s={sid}")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator("#session-meta")).to_contain_text("更正测试场次")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)

    # A mistyped name and draw number, corrected in a dialog.
    rows.nth(0).get_by_role("button", name="更正").click()
    dialog = page.locator("#interview-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("姓名").fill("张叁")
    dialog.get_by_label("抽签号").fill("5")
    screenshot(page, "console-correct-candidate-1366x768")
    dialog.get_by_role("button", name="保存更正").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#queue tbody")).to_contain_text("张叁")
    # The same rules as on creation: a taken draw number is refused inside the dialog.
    page.locator("#queue tbody tr", has_text="考生2").get_by_role("button", name="更正").click()
    dialog.get_by_label("抽签号").fill("5")
    dialog.get_by_role("button", name="保存更正").click()
    expect(dialog.locator(".error")).to_contain_text("抽签号 5")
    dialog.get_by_role("button", name="取消").click()

    # Removing asks first, in Chinese; cancelling keeps the row.
    page.locator("#queue tbody tr", has_text="考生2").get_by_role("button", name="删除").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("确定从名单中删除A1 岗位 2 号考生考生2吗")
    assert page.evaluate("document.activeElement.textContent") == "取消"
    confirm.get_by_role("button", name="取消").click()
    expect(rows).to_have_count(2)
    page.locator("#queue tbody tr", has_text="考生2").get_by_role("button", name="删除").click()
    confirm.get_by_role("button", name="删除").click()
    expect(rows).to_have_count(1)

    # Posts: the unused one can go; the used one keeps its code but takes a new name.
    posts = page.locator("#positions")
    posts.locator("li[data-code='B2']").get_by_role("button", name="删除").click()
    expect(confirm).to_contain_text("待删岗位")
    confirm.get_by_role("button", name="删除").click()
    expect(posts.locator("li[data-code='B2']")).to_have_count(0)
    expect(posts.locator("li[data-code='A1']").get_by_role("button", name="删除")).to_have_count(0)
    posts.locator("li[data-code='A1']").get_by_role("button", name="更正").click()
    position = page.locator("#position-dialog")
    expect(position.get_by_label("岗位代码")).to_be_disabled()
    position.get_by_label("岗位名称").fill("综合管理岗")
    position.get_by_role("button", name="保存更正").click()
    expect(posts).to_contain_text("综合管理岗")

    # The sitting: seven judges instead of five, with links for the new seats.
    page.get_by_role("button", name="更正场次").click()
    edit = page.locator("#session-edit-dialog")
    edit.get_by_label("评委人数").fill("7")
    edit.get_by_role("button", name="保存更正").click()
    expect(edit).to_be_hidden()
    expect(page.locator("#links li")).to_have_count(8)
    expect(page.locator("#session-meta")).to_contain_text("评委 7")

    kinds = [line for line in api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text.splitlines()]
    for kind in ("interview.corrected", "interview.removed", "position.removed", "position.corrected",
                 "session.corrected"):
        assert any(f'"kind": "{kind}"' in line for line in kinds), kind

    # Removing the sitting, before it starts.
    page.get_by_role("button", name="删除场次").click()
    expect(confirm).to_contain_text("更正测试场次")
    screenshot(page, "console-remove-sitting-1366x768")
    confirm.get_by_role("button", name="删除场次").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#session-select option", has_text="更正测试场次")).to_have_count(0)
    assert sid not in [s["id"] for s in api.call("GET", "/api/sessions", 200).json()]
