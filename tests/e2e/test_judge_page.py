"""The judge's phone page in a real browser at 360×640: entry, confirm, ack, offline, reload."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy
from playwright.sync_api import expect

from tests.e2e.conftest import contrast_failures, screenshot
from tests.support import Api, ServerProcess, database_url

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def phones(browser: Any) -> Iterator[Any]:
    """Open judge pages, each in a context of its own (its own storage, its own network)."""
    contexts: list[Any] = []

    def open_phone(url: str, viewport: dict[str, int] = PHONE, locale: str = "zh-CN") -> Any:
        context = browser.new_context(
            viewport=viewport, device_scale_factor=1, has_touch=True, locale=locale
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        expect(page.locator("#conn")).to_have_attribute("data-conn", "online")
        return page

    yield open_phone
    for context in contexts:
        context.close()


def key_in(page: Any, text: str) -> None:
    for char in text:
        page.click(f'button[data-key="{char}"]')


def wait_until(page: Any, condition: Any, timeout: float = 15) -> None:
    """Poll a server-side condition (no DOM to wait on) until it holds.

    Waits through ``page`` rather than ``time.sleep``: the sync Playwright API runs route
    handlers (the socket relay below) only while a Playwright call is in progress.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(100)


def marks_of(api: Api, sid: int, iid: int) -> list[dict[str, Any]]:
    session = api.get_session(sid)
    return next(i for i in session["interviews"] if i["id"] == iid)["marks"]


def audit(server: ServerProcess, sid: int) -> list[dict[str, Any]]:
    """The sitting's audit events, read from its database.

    Not through ``audit.jsonl``: the secretary's export is refused while an interview is being
    scored (it would show marks early), and these tests look while it is.
    """
    engine = sqlalchemy.create_engine(database_url(server.data_dir))
    try:
        with engine.connect() as db:
            rows = db.execute(
                sqlalchemy.text(
                    "SELECT seq, kind, data FROM audit_event WHERE session_id = :sid ORDER BY seq"
                ),
                {"sid": sid},
            ).all()
    finally:
        engine.dispose()
    return [{"seq": seq, "kind": kind, "data": json.loads(data)} for seq, kind, data in rows]


def submitted_by(server: ServerProcess, sid: int, seat: int) -> list[dict[str, Any]]:
    return [
        e for e in audit(server, sid) if e["kind"] == "mark.submitted" and e["data"]["seat"] == seat
    ]


def test_judge_scores_from_not_open_to_submitted(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=2)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    page = phones(sitting["judges"][0]["url"])

    expect(page.locator("#seat")).to_contain_text("1")
    expect(page.locator("#status")).to_have_attribute("data-state", "not_open")
    expect(page.locator("#score-input")).to_be_hidden()
    screenshot(page, "judge-1-not-open")

    api.flow(iid, "start")
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#candidate")).to_contain_text("1 号考生")
    expect(page.locator("#candidate")).to_contain_text("岗位A1")
    expect(page.locator("#candidate")).not_to_contain_text(
        "考生1"
    )  # the draw number, never the name
    screenshot(page, "judge-2-ready")

    # A bad mark: refused in the page with a reason, nothing sent.
    key_in(page, "105")
    expect(page.locator("#score-input")).to_have_value("105")
    expect(page.locator("#error")).to_contain_text("100")
    page.click("#submit-btn")
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.locator("#error")).to_be_visible()
    box = page.locator("#submit-btn").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], (
        "submit pushed off screen"
    )
    screenshot(page, "judge-3-bad-mark")
    # More places than the sitting allows: the key is refused, with a reason.
    for _ in range(3):
        page.click('button[data-key="back"]')
    key_in(page, "85.55")
    expect(page.locator("#score-input")).to_have_value("85.5")
    expect(page.locator("#error")).to_contain_text("1 位小数")
    # A lone trailing dot is not a mark either.
    page.click('button[data-key="back"]')
    page.click('button[data-key="back"]')
    expect(page.locator("#score-input")).to_have_value("85")
    page.click('button[data-key="."]')
    page.click("#submit-btn")
    expect(page.locator("#error")).to_contain_text("小数点")
    expect(page.locator("#confirm")).to_be_hidden()
    assert not marks_of(api, sid, iid)[0]["submitted"]
    assert submitted_by(server, sid, 1) == []

    # Two-step submit: "no" goes back with the mark kept; "yes" sends it.
    page.click('button[data-key="5"]')
    page.click("#submit-btn")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm")).to_contain_text("最终打分为 85.5 分，确认提交？")
    screenshot(page, "judge-4-confirm")
    page.click("#confirm-no")
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.locator("#score-input")).to_have_value("85.5")
    assert not marks_of(api, sid, iid)[0]["submitted"]
    page.click("#submit-btn")
    page.click("#confirm-yes")
    expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#my-score")).to_have_text("85.5")
    expect(page.locator("#done")).to_contain_text("已评分 1/5")
    screenshot(page, "judge-5-submitted")
    assert marks_of(api, sid, iid)[0]["submitted"]
    assert len(submitted_by(server, sid, 1)) == 1

    # A reload restores everything from the server (a fresh context: nothing local to help).
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#my-score")).to_have_text("85.5")
    fresh = phones(sitting["judges"][0]["url"])
    expect(fresh.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(fresh.locator("#my-score")).to_have_text("85.5")

    assert contrast_failures(page) == []


def test_mark_typed_offline_is_queued_then_sent_once(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    page = phones(sitting["judges"][1]["url"])
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")

    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline")
    key_in(page, "77.5")
    page.click("#submit-btn")
    page.click("#confirm-yes")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    expect(page.locator("#done")).to_contain_text("77.5")
    expect(page.locator("#my-score")).to_have_text("")  # not stored yet: not shown as stored
    expect(page.locator("#status")).to_contain_text("网络已断开")
    queued = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.endsWith('.pending'))"
    )
    assert len(queued) == 1 and json.loads(queued[0][1])["score"] == "77.5"
    request_id = json.loads(queued[0][1])["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    screenshot(page, "judge-6-offline-pending")
    assert not marks_of(api, sid, iid)[1]["submitted"]

    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "online", timeout=20_000)
    expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#my-score")).to_have_text("77.5")
    assert (
        page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith('.pending')).length")
        == 0
    )
    events = submitted_by(server, sid, 2)
    assert len(events) == 1
    assert events[0]["data"]["score"] == "77.5" and events[0]["data"]["request_id"] == request_id

    # Dropping the link again and coming back re-sends nothing and stores nothing twice.
    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline")
    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "online", timeout=20_000)
    page.reload()
    expect(page.locator("#my-score")).to_have_text("77.5")
    assert len(submitted_by(server, sid, 2)) == 1


def test_silent_server_turns_the_light_off_and_the_mark_is_stored_once(
    server: ServerProcess, api: Api, browser: Any
) -> None:
    """No pong within the timeout means offline, even with the Wi-Fi "up"; a lost ack is re-asked."""
    sitting = api.sitting(judges=5, candidates=1)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    silent = {"on": False}

    def relay(ws: Any) -> None:
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if silent["on"] else ws.send(message))
        ws.on_message(lambda message: upstream.send(message))

    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    try:
        page = context.new_page()
        page.route_web_socket(re.compile(r"/ws/judge/"), relay)
        page.goto(sitting["judges"][3]["url"])
        expect(page.locator("#conn")).to_have_attribute("data-conn", "online")
        expect(page.locator("#status")).to_have_attribute("data-state", "ready")

        silent["on"] = True  # the server hears the phone, the phone hears nothing back
        expect(page.locator("#conn")).to_have_attribute("data-conn", "offline", timeout=15_000)
        key_in(page, "66")
        page.click("#submit-btn")
        page.click("#confirm-yes")
        expect(page.locator("#status")).to_have_attribute("data-state", "pending")
        # The mark reaches the server through the half-dead socket; its ack is lost on the way back.
        wait_until(page, lambda: len(submitted_by(server, sid, 4)) == 1)
        expect(page.locator("#status")).to_have_attribute("data-state", "pending")

        silent["on"] = False
        expect(page.locator("#conn")).to_have_attribute("data-conn", "online", timeout=20_000)
        expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
        expect(page.locator("#my-score")).to_have_text("66.0")
        assert len(submitted_by(server, sid, 4)) == 1
    finally:
        context.close()


def test_queued_mark_survives_a_reload_while_offline(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    page = phones(sitting["judges"][2]["url"])
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    # The socket is cut before the ack can arrive: the queued mark must be re-sent on reload.
    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline")
    key_in(page, "91")
    page.click("#submit-btn")
    page.click("#confirm-yes")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#my-score")).to_have_text("91.0")  # as stored: normalised to 1 place
    assert len(submitted_by(server, sid, 3)) == 1


def test_excused_reopened_and_privacy(server: ServerProcess, api: Api, phones: Any) -> None:
    sitting = api.sitting(judges=6, candidates=1, min_scores=5)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    one = phones(sitting["judges"][0]["url"])
    two = phones(sitting["judges"][1]["url"])
    six = phones(sitting["judges"][5]["url"])

    api.flow(iid, "excuse", seat=6, reason="回避")
    expect(six.locator("#status")).to_have_attribute("data-state", "excused")
    expect(six.locator("#score-input")).to_be_hidden()
    screenshot(six, "judge-7-excused")

    key_in(two, "63.5")
    two.click("#submit-btn")
    two.click("#confirm-yes")
    expect(two.locator("#my-score")).to_have_text("63.5")
    expect(one.locator("#status")).to_have_attribute("data-state", "ready")
    # Judge 1 sees that someone scored, never what.
    expect(one.locator("body")).not_to_contain_text("63.5")

    api.flow(iid, "reopen", seat=2, reason="误触")
    expect(two.locator("#status")).to_have_attribute("data-state", "reopened")
    expect(two.locator("#score-input")).to_be_visible()
    screenshot(two, "judge-8-reopened")
    key_in(two, "68")
    two.click("#submit-btn")
    two.click("#confirm-yes")
    expect(two.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(two.locator("#my-score")).to_have_text("68.0")
    assert [e["data"]["score"] for e in submitted_by(server, sid, 2)] == ["63.5", "68.0"]
    assert contrast_failures(two) == []
    assert contrast_failures(six) == []


def test_whole_marks_only_when_the_sitting_says_so(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=1, score_decimals=0)
    api.flow(sitting["interviews"][0]["id"], "start")
    page = phones(sitting["judges"][0]["url"])
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    key_in(page, "88")
    page.click('button[data-key="."]')
    expect(page.locator("#score-input")).to_have_value("88")
    expect(page.locator("#error")).to_contain_text("整数")
    page.keyboard.type("1")  # a hardware keyboard works too, with the same rules
    expect(page.locator("#error")).to_contain_text("100")


def test_wrong_link_gets_a_friendly_page_in_chinese(server: ServerProcess, browser: Any) -> None:
    response = httpx.get(f"{server.url}/judge/not-a-token")
    assert response.status_code == 404
    assert "链接无效" in response.text
    assert "text/html" in response.headers["content-type"]


def test_the_page_follows_the_sittings_language_not_the_phones(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    zh = api.sitting(judges=5, candidates=1)
    page = phones(zh["judges"][3]["url"], locale="en-US")  # an English-language phone
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#seat")).to_have_text("4 号评委")
    expect(page.locator("#conn")).to_contain_text("在线")

    en = api.sitting(judges=5, candidates=1, language="en")
    page = phones(en["judges"][3]["url"])  # a Chinese-language phone
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#seat")).to_have_text("Judge 4")
    expect(page.locator("#conn")).to_contain_text("Online")
    api.flow(en["interviews"][0]["id"], "start")
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    key_in(page, "85.55")  # refused in the page, in English
    expect(page.locator("#error")).to_contain_text("decimal")


def inside(page: Any, selector: str, size: dict[str, int]) -> None:
    """Assert ``selector`` is drawn whole inside the viewport, with nothing scrolled."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not drawn"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (selector, box, size)
    assert page.evaluate("() => [window.scrollX, window.scrollY]") == [0, 0]
    # The element is on top, not hidden under something else.
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    on_top = page.evaluate(
        "([x, y, sel]) => document.elementFromPoint(x, y).closest(sel) !== null", [*centre, selector]
    )
    assert on_top, f"{selector} is covered"


SMALL_PHONES = [
    ("zh", {"width": 320, "height": 568}),
    ("zh", {"width": 360, "height": 640}),
    ("zh", {"width": 568, "height": 320}),
    ("zh", {"width": 640, "height": 360}),
    ("en", {"width": 320, "height": 568}),  # longer texts
    ("en", {"width": 568, "height": 320}),
]


@pytest.mark.parametrize(
    ("language", "size"), SMALL_PHONES, ids=[f"{lang}-{s['width']}x{s['height']}" for lang, s in SMALL_PHONES]
)
def test_the_whole_keypad_flow_fits_small_and_landscape_phones(
    server: ServerProcess, api: Api, phones: Any, language: str, size: dict[str, int]
) -> None:
    sitting = api.sitting(judges=5, candidates=1, language=language)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    page = phones(sitting["judges"][0]["url"], viewport=size)
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    name = f"judge-fit-{language}-{size['width']}x{size['height']}"

    # Nothing to scroll: the page is no taller than the screen.
    assert page.evaluate("() => document.documentElement.scrollHeight") <= size["height"]
    for selector in ("#candidate", "#score-input", 'button[data-key="1"]', 'button[data-key="back"]', "#submit-btn"):
        inside(page, selector, size)
    # Big digits stay big: the judges are often 60.
    key = page.locator('button[data-key="5"]')
    key_box = key.bounding_box()
    assert key_box is not None and key_box["height"] >= 44 and key_box["width"] >= 44, key_box
    assert key.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 28
    assert page.locator("#score-input").evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 36

    # With a refusal on screen the submit button is still there.
    key_in(page, "105")
    expect(page.locator("#error")).to_be_visible()
    inside(page, "#submit-btn", size)
    assert page.evaluate("() => document.documentElement.scrollHeight") <= size["height"]
    screenshot(page, f"{name}-1-error")
    for _ in range(3):
        page.click('button[data-key="back"]')

    key_in(page, "88.5")
    inside(page, "#submit-btn", size)
    screenshot(page, f"{name}-2-entry")
    page.click("#submit-btn")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm")).to_contain_text("88.5")
    for selector in ("#confirm-text", "#confirm-yes", "#confirm-no"):
        inside(page, selector, size)
    screenshot(page, f"{name}-3-confirm")
    assert contrast_failures(page) == []
    page.click("#confirm-yes")
    expect(page.locator("#my-score")).to_have_text("88.5")
    inside(page, "#done", size)
    screenshot(page, f"{name}-4-submitted")
    assert marks_of(api, sid, iid)[0]["submitted"]
