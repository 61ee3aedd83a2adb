"""The hall display at 1920×1080 and the signature tablet, in a real browser."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import contrast_failures, screenshot
from tests.support import Api, ServerProcess, judge

pytestmark = pytest.mark.browser
TV = {"width": 1920, "height": 1080}
TITLE = "2026年竞聘上岗面试（第一批）"
# Seats 1..5. Distinctive strings, so that "no mark on screen" can be checked by searching for them.
MARKS = ["71.5", "88.5", "93.5", "80.5", "84.5"]
RESULT = "84.50"  # drop 93.5 (seat 3) and 71.5 (seat 1): (88.5 + 80.5 + 84.5) / 3
# Built by the server (``announcement.speech``): the post is named, marks read as people say them.
SENTENCE = "岗位A1岗位1号考生，去掉一个最高分93.5分，去掉一个最低分71.5分，最终面试得分84.50分"
SOUND_ON = "语音播报已开启"

# Capture what would be spoken instead of speaking it.
SPEECH_STUB = """
window.__spoken = [];
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ""; } };
Object.defineProperty(window, "speechSynthesis", {
  configurable: true,
  value: {
    speak(u) { window.__spoken.push({ text: u.text, lang: u.lang }); },
    cancel() {},
    getVoices() { return []; },
  },
});
"""


@pytest.fixture
def screens(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_screen(url: str, viewport: dict[str, int] = TV, locale: str = "zh-CN") -> Any:
        context = browser.new_context(viewport=viewport, device_scale_factor=1, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(SPEECH_STUB)
        page.goto(url)
        expect(page.locator("#conn")).to_have_attribute("data-conn", "online")
        return page

    yield open_screen
    for context in contexts:
        context.close()


def submit_marks(server: ServerProcess, sitting: dict[str, Any], iid: int, seats: range) -> None:
    for seat in seats:
        with judge(server, sitting["judges"][seat - 1]["token"]) as ws:
            ws.recv_until("state")
            assert ws.submit(iid, MARKS[seat - 1], f"r-{iid}-{seat}")["type"] == "ack"


def interview(api: Api, sid: int, iid: int) -> dict[str, Any]:
    return next(i for i in api.get_session(sid)["interviews"] if i["id"] == iid)


def spoken(page: Any) -> list[dict[str, str]]:
    return page.evaluate("() => window.__spoken")


def turn_sound_on(page: Any, says: str = SOUND_ON, lang: str = "zh-CN") -> None:
    """Tap the full-screen prompt, as the secretary does once after opening the display."""
    gate = page.locator("#sound-gate")
    expect(gate).to_be_visible()
    gate.click()
    expect(gate).to_be_hidden()
    page.wait_for_function("() => window.__spoken.length === 1")
    assert spoken(page) == [{"text": says, "lang": lang}]
    page.evaluate("() => { window.__spoken = []; }")


def display_frame(server: ServerProcess, sitting: dict[str, Any]) -> dict[str, Any]:
    url = f"{server.url}/api/display/{sitting['display']['token']}/state"
    return httpx.get(url).json()


def sign_by_dragging(page: Any) -> None:
    box = page.locator("#sign-canvas").bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 30):
        page.mouse.move(x0 + i * 12, y0 + 40 * math.sin(i / 3), steps=2)
    page.mouse.up()
    page.mouse.move(x0 + 60, y0 - 30)
    page.mouse.down()
    page.mouse.move(x0 + 90, y0 + 30, steps=5)
    page.mouse.up()


def tap(page: Any) -> None:
    box = page.locator("#sign-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def no_mark_in(page: Any) -> None:
    html = page.content()
    for mark in MARKS:
        assert mark not in html, f"mark {mark} reached the display before the announcement"
    assert page.locator(".mark").count() == 0


def test_display_from_idle_to_signed(server: ServerProcess, api: Api, screens: Any) -> None:
    sitting = api.sitting(judges=5, candidates=2, title=TITLE)
    sid = sitting["id"]
    first, second = (i["id"] for i in sitting["interviews"])
    page = screens(sitting["display"]["url"])
    display = page.locator("#display")

    expect(display).to_have_attribute("data-mode", "idle")
    expect(page.locator("#title")).to_have_text(TITLE)
    turn_sound_on(page)
    screenshot(page, "display-1-idle")
    assert contrast_failures(page) == []

    api.flow(first, "start", countdown_minutes=10)
    expect(display).to_have_attribute("data-mode", "interviewing")
    expect(page.locator("#current")).to_contain_text("1 号 面试中")
    expect(page.locator("#current")).to_contain_text("岗位A1")
    expect(page.locator("#progress")).to_have_text("已评分 0/5")
    expect(page.locator("#countdown")).to_have_text(re.compile(r"剩余 (09:[0-5]\d|10:00)"))

    submit_marks(server, sitting, first, range(1, 4))
    expect(page.locator("#progress")).to_have_text("已评分 3/5")
    no_mark_in(page)
    screenshot(page, "display-2-interviewing")
    assert contrast_failures(page) == []

    submit_marks(server, sitting, first, range(4, 6))
    assert interview(api, sid, first)["state"] == "scored"
    expect(display).to_have_attribute(
        "data-mode", "idle"
    )  # scored, not yet announced: nothing shown
    no_mark_in(page)
    assert spoken(page) == []

    # The announcement happens while the display is cut off: it catches up by itself.
    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline")
    api.flow(first, "announce")
    page.context.set_offline(False)
    expect(display).to_have_attribute("data-mode", "announcement", timeout=20_000)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "online")

    expect(page.locator(".mark")).to_have_count(5)
    for seat, mark in enumerate(MARKS, start=1):
        expect(page.locator(f'.mark[data-seat="{seat}"]')).to_contain_text(mark)
    expect(page.locator(".dropped-high")).to_have_count(1)
    expect(page.locator(".dropped-low")).to_have_count(1)
    expect(page.locator('.mark[data-seat="3"]')).to_have_class(re.compile(r"\bdropped-high\b"))
    expect(page.locator('.mark[data-seat="1"]')).to_have_class(re.compile(r"\bdropped-low\b"))

    def decoration(seat: int) -> str:
        return page.locator(f'.mark[data-seat="{seat}"] .mark-score').evaluate(
            "el => getComputedStyle(el).textDecorationLine"
        )

    assert "line-through" in decoration(3)
    assert "line-through" in decoration(1)
    assert "line-through" not in decoration(2)
    expect(page.locator("#result")).to_contain_text(RESULT)

    page.wait_for_function("() => window.__spoken.length === 1")
    assert spoken(page) == [{"text": SENTENCE, "lang": "zh-CN"}]
    screenshot(page, "display-3-announcement")
    assert contrast_failures(page) == []

    # Spoken once: not again on a reload (a new socket, a new state frame)...
    page.reload()
    expect(display).to_have_attribute("data-mode", "announcement")
    expect(page.locator("#result")).to_contain_text(RESULT)
    page.evaluate("() => new Promise(r => setTimeout(r, 300))")  # let any stray speech start
    assert spoken(page) == []
    turn_sound_on(page)  # a reloaded page asks for its tap again; it does not repeat the result
    # ... but the button replays it.
    page.click("#replay-btn")
    page.wait_for_function("() => window.__spoken.length === 1")
    assert spoken(page)[0]["text"] == SENTENCE

    # A tap is not a signature: refused in the page, nothing stored.
    tap(page)
    page.click("#sign-submit")
    expect(page.locator("#sign-error")).to_be_visible()
    expect(page.locator("#sign-error")).to_contain_text("签名")
    assert interview(api, sid, first)["state"] == "announced"
    page.click("#sign-clear")
    expect(page.locator("#sign-error")).to_be_hidden()

    sign_by_dragging(page)
    with page.expect_response(re.compile(r"/api/display/.+/signature$")) as answer:
        page.click("#sign-submit")
    assert answer.value.status == 201
    expect(page.locator("#signed")).to_be_visible()
    expect(page.locator("#signed")).to_have_text(re.compile(r"已签字确认 \d\d:\d\d"))
    expect(page.locator("#sign-canvas")).to_be_hidden()
    got = interview(api, sid, first)
    assert got["state"] == "confirmed" and got["signed_at"]
    strokes = api.call("GET", f"/api/interviews/{first}/signature", 200).json()["strokes"]
    assert len(strokes) == 2 and all(len(point) == 3 for stroke in strokes for point in stroke)
    screenshot(page, "display-4-signed")
    assert contrast_failures(page) == []

    # The next interview takes the screen (once the signed outcome has been seen a moment).
    api.flow(second, "start")
    expect(display).to_have_attribute("data-mode", "interviewing", timeout=15_000)
    expect(page.locator("#current")).to_contain_text("2 号 面试中")
    expect(page.locator("#countdown")).to_be_hidden()
    assert len(spoken(page)) == 1


def test_signature_tablet(server: ServerProcess, api: Api, screens: Any) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    iid = sitting["interviews"][0]["id"]
    tablet = screens(sitting["display"]["url"] + "/sign", {"width": 1280, "height": 800})
    expect(tablet.locator("#sign-for")).to_contain_text("暂无")
    expect(tablet.locator("#sign-canvas")).to_be_hidden()

    api.flow(iid, "start")
    submit_marks(server, sitting, iid, range(1, 6))
    no_mark_in(tablet)
    api.flow(iid, "announce")
    expect(tablet.locator("#sign-for")).to_contain_text("1 号考生")
    expect(tablet.locator("#sign-for")).to_contain_text(RESULT)
    # Draw numbers start again at 1 for every post: the tablet names the post too.
    expect(tablet.locator("#sign-for")).to_have_text(f"岗位A1 · 1 号考生 · 最终面试得分 {RESULT} 分")
    expect(tablet.locator("#sign-canvas")).to_be_visible()
    assert tablet.locator(".mark").count() == 0  # only the pad and the result
    screenshot(tablet, "sign-1-pad")
    assert contrast_failures(tablet) == []

    hall = screens(sitting["display"]["url"])
    expect(hall.locator("#display")).to_have_attribute("data-mode", "announcement")

    tap(tablet)
    tablet.click("#sign-submit")
    expect(tablet.locator("#sign-error")).to_contain_text("签名")
    sign_by_dragging(tablet)
    tablet.click("#sign-submit")
    expect(tablet.locator("#signed")).to_have_text(re.compile(r"已签字确认 \d\d:\d\d"))
    expect(hall.locator("#signed")).to_have_text(re.compile(r"已签字确认 \d\d:\d\d"))
    expect(hall.locator("#sign-canvas")).to_be_hidden()
    screenshot(tablet, "sign-2-signed")


def test_signing_offline_says_so_and_the_display_catches_up(
    server: ServerProcess, api: Api, screens: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    iid = sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    submit_marks(server, sitting, iid, range(1, 6))
    api.flow(iid, "announce")
    page = screens(sitting["display"]["url"])
    expect(page.locator("#sign-canvas")).to_be_visible()
    turn_sound_on(page, says=SENTENCE)  # announced before the tap: said right after it
    sign_by_dragging(page)
    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline")
    page.click("#sign-submit")
    expect(page.locator("#sign-error")).to_contain_text("网络未连接")
    # Meanwhile the candidate signs on the tablet; the display, back online, shows that truth.
    stroke = [[[0, 0, 0], [50, 40, 10], [100, 20, 20]]]
    response = httpx.post(
        f"{server.url}/api/display/{sitting['display']['token']}/signature",
        json={"interview_id": iid, "strokes": stroke},
    )
    assert response.status_code == 201
    page.context.set_offline(False)
    expect(page.locator("#signed")).to_have_text(re.compile(r"已签字确认 \d\d:\d\d"), timeout=20_000)
    expect(page.locator("#sign-canvas")).to_be_hidden()


def test_wrong_links_get_a_friendly_page(server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    judge_token = sitting["judges"][0]["token"]
    for path in (
        "/display/nope",
        f"/display/{judge_token}",
        f"/display/{judge_token}/sign",
        f"/judge/{sitting['display']['token']}",
    ):
        response = httpx.get(server.url + path)
        assert response.status_code == 404, path
        assert "链接无效" in response.text


def test_speech_waits_for_one_tap_on_a_full_screen_prompt(
    server: ServerProcess, api: Api, screens: Any
) -> None:
    sitting = api.sitting(judges=5, candidates=1)
    iid = sitting["interviews"][0]["id"]
    page = screens(sitting["display"]["url"])

    # Until someone taps, the whole screen asks for the tap, in letters readable from 5 metres.
    gate = page.locator("#sound-gate")
    expect(gate).to_be_visible()
    expect(gate).to_contain_text("点击屏幕以开启语音播报")
    assert gate.bounding_box() == {"x": 0, "y": 0, "width": TV["width"], "height": TV["height"]}
    size = page.locator(".sound-gate-text").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 96, f"the prompt is {size} px: too small to read from 5 m"
    hit = page.evaluate("() => document.elementFromPoint(960, 540).closest('#sound-gate') !== null")
    assert hit, "something is drawn over the prompt"
    screenshot(page, "display-0-sound-prompt")
    assert contrast_failures(page) == []

    # An announcement before the tap is not thrown away (the browser would drop it unheard)...
    api.flow(iid, "start")
    submit_marks(server, sitting, iid, range(1, 6))
    api.flow(iid, "announce")
    expect(page.locator("#display")).to_have_attribute("data-mode", "announcement")
    expect(gate).to_be_visible()
    page.evaluate("() => new Promise(r => setTimeout(r, 300))")
    assert spoken(page) == []

    # ... it is said, once, as the server wrote it, right after the tap; then the prompt is gone.
    speech = display_frame(server, sitting)["announcement"]["speech"]
    assert speech == SENTENCE
    page.mouse.click(300, 200)  # anywhere on the screen
    expect(gate).to_be_hidden()
    page.wait_for_function("() => window.__spoken.length >= 1")
    assert spoken(page) == [{"text": SENTENCE, "lang": "zh-CN"}]
    expect(page.locator("#sign-canvas")).to_be_visible()  # the pad is free to use now
    page.click("#replay-btn")
    page.wait_for_function("() => window.__spoken.length === 2")
    assert spoken(page)[1] == {"text": SENTENCE, "lang": "zh-CN"}


def test_live_strip_names_the_post(server: ServerProcess, api: Api, screens: Any) -> None:
    sitting = api.sitting(judges=5, candidates=2)
    first, second = (i["id"] for i in sitting["interviews"])
    api.flow(first, "start")
    submit_marks(server, sitting, first, range(1, 6))
    api.flow(first, "announce")
    page = screens(sitting["display"]["url"])
    turn_sound_on(page, says=SENTENCE)
    api.flow(second, "start")  # candidate 1 is still on screen, candidate 2 is interviewed
    expect(page.locator("#display")).to_have_attribute("data-mode", "announcement")
    expect(page.locator("#live-strip")).to_have_text("岗位A1 · 2 号 面试中 · 已评分 0/5")
    screenshot(page, "display-5-live-strip")
    assert contrast_failures(page) == []


def test_a_dispute_is_shown_instead_of_the_pad(server: ServerProcess, api: Api, screens: Any) -> None:
    sitting = api.sitting(judges=5, candidates=2)
    first, second = (i["id"] for i in sitting["interviews"])
    api.flow(first, "start")
    submit_marks(server, sitting, first, range(1, 6))
    api.flow(first, "announce")
    hall = screens(sitting["display"]["url"])
    turn_sound_on(hall, says=SENTENCE)
    tablet = screens(sitting["display"]["url"] + "/sign", {"width": 1280, "height": 800})
    expect(hall.locator("#sign-canvas")).to_be_visible()
    api.flow(second, "start")  # the next candidate's interview runs meanwhile

    api.flow(first, "dispute", note="考生未返回签字")
    for page in (hall, tablet):
        expect(page.locator("#disputed")).to_be_visible()
        expect(page.locator("#disputed")).to_have_text("已记录：考生未签字确认")
        expect(page.locator("#sign-canvas")).to_be_hidden()
        expect(page.locator("#signed")).to_be_hidden()
    # The outcome stays on the hall display a moment, then the live interview takes the screen.
    expect(hall.locator("#display")).to_have_attribute("data-mode", "announcement")
    screenshot(hall, "display-6-disputed")
    assert contrast_failures(hall) == []
    screenshot(tablet, "sign-3-disputed")
    expect(hall.locator("#display")).to_have_attribute("data-mode", "interviewing", timeout=15_000)
    expect(hall.locator("#current")).to_contain_text("2 号 面试中")
    # A reload does not bring the settled outcome back over the live interview.
    hall.reload()
    expect(hall.locator("#display")).to_have_attribute("data-mode", "interviewing")


def test_the_sitting_language_wins_over_the_browsers(
    server: ServerProcess, api: Api, screens: Any
) -> None:
    # A Chinese sitting on an English-language TV and tablet: Chinese.
    zh = api.sitting(judges=5, candidates=1, title="中文场次")
    for path in ("", "/sign"):
        page = screens(zh["display"]["url"] + path, locale="en-US")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("#conn")).to_contain_text("在线")
    hall = screens(zh["display"]["url"], locale="en-US")
    expect(hall.locator("#sound-gate")).to_contain_text("点击屏幕以开启语音播报")
    # ... even when the browser sends nothing but English.
    response = httpx.get(zh["display"]["url"], headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "点击屏幕以开启语音播报" in response.text and 'lang="zh-CN"' in response.text


def test_english_display(server: ServerProcess, api: Api, screens: Any) -> None:
    sitting = api.sitting(judges=5, candidates=1, title="Sitting E", language="en")
    iid = sitting["interviews"][0]["id"]
    page = screens(sitting["display"]["url"])  # a Chinese-language TV: the sitting decides
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sound-gate")).to_contain_text("Tap the screen to turn on spoken results")
    turn_sound_on(page, says="Spoken results are on", lang="en-US")
    expect(page.locator("#title")).to_have_text("Sitting E")
    api.flow(iid, "start")
    expect(page.locator("#progress")).to_have_text("Scored 0/5")
    submit_marks(server, sitting, iid, range(1, 6))
    api.flow(iid, "announce")
    page.wait_for_function("() => window.__spoken.length === 1")
    assert spoken(page) == [
        {
            "text": "岗位A1, candidate 1. Highest mark dropped: 93.5. Lowest mark dropped: 71.5. "
            "Final interview score: 84.50.",
            "lang": "en-US",
        }
    ]
    screenshot(page, "display-7-english")
    tablet = screens(sitting["display"]["url"] + "/sign")
    expect(tablet.locator("#sign-for")).to_have_text(f"岗位A1 · candidate 1 · interview score {RESULT}")
