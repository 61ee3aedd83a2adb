"""Scoring an interview by elements (评分要素) on seven phones at 360×640, in a real browser:
each element on the keypad with its maximum and the running total, an element over its maximum
refused before sending, the two-step confirm of the total, a phone that loses the Wi-Fi at the
moment of sending, and the hall display's element averages after the announcement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from server.domain import sheets
from tests.e2e.conftest import contrast_failures, screenshot
from tests.support import Api, ServerProcess

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}
SIX = sheets.templates("zh")[0]["criteria"]  # 综合分析能力 20, 言语表达能力 20, 应变能力 15, …
CODES = [c["code"] for c in SIX]
# Seven judges' sheets, in the template's order.
SHEETS = [
    ["16.5", "17", "12", "16", "12", "8.5"],
    ["15", "16", "11.5", "15", "12", "8"],
    ["18", "18", "13", "18", "14", "9"],
    ["14", "15", "10", "14", "11", "7"],
    ["17", "16.5", "12.5", "17", "13", "8.5"],
    ["19", "19.5", "14.5", "19", "14.5", "9.5"],
    ["16", "17", "12", "16.5", "12.5", "8"],
]


@pytest.fixture
def phones(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_phone(url: str, viewport: dict[str, int] = PHONE) -> Any:
        context = browser.new_context(
            viewport=viewport, device_scale_factor=1, has_touch=True, locale="zh-CN"
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


def fill_sheet(page: Any, values: list[str]) -> None:
    """Type every element on the keypad, moving on with the big button; end at the confirm."""
    for index, value in enumerate(values):
        expect(page.locator(".part.active")).to_have_attribute("data-part", CODES[index])
        key_in(page, value)
        page.click("#submit-btn")
    expect(page.locator("#confirm")).to_be_visible()


def total(values: list[str]) -> str:
    return format(sum((Decimal(v) for v in values), Decimal(0)).quantize(Decimal("0.1")), "f")


def test_seven_phones_score_an_interview_by_elements(
    server: ServerProcess, api: Api, phones: Any, browser: Any
) -> None:
    sitting = api.sitting(judges=7, criteria=SIX, trim="per_criterion")
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    pages = [phones(j["url"]) for j in sitting["judges"]]
    api.flow(iid, "start")
    first = pages[0]
    expect(first.locator("#status")).to_have_attribute("data-state", "ready")
    expect(first.locator(".part")).to_have_count(6)
    expect(first.locator("#part-label")).to_have_text("综合分析能力（满分 20）")
    expect(first.locator("#sheet-total")).to_have_text("0.0")
    assert contrast_failures(first) == []
    screenshot(first, "sheet-1-ready")

    # An element over its maximum: said at once, and the big button will not move on.
    key_in(first, "18")
    first.click("#submit-btn")
    expect(first.locator("#part-label")).to_have_text("言语表达能力（满分 20）")
    key_in(first, "25")
    expect(first.locator("#error")).to_contain_text("最高 20 分")
    expect(first.locator('.part[data-part="expression"]')).to_have_class("part active bad")
    first.click("#submit-btn")
    expect(first.locator("#part-label")).to_have_text("言语表达能力（满分 20）")
    expect(first.locator("#confirm")).to_be_hidden()
    box = first.locator("#submit-btn").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], (
        "the big button is off screen"
    )
    screenshot(first, "sheet-2-over-max")
    first.click('button[data-key="back"]')
    first.click('button[data-key="back"]')
    # Back to the first element by its tile, and on through all six.
    first.click('.part[data-part="analysis"]')
    first.click('button[data-key="back"]')
    first.click('button[data-key="back"]')
    fill_sheet(first, SHEETS[0])
    expect(first.locator("#confirm-text")).to_contain_text(total(SHEETS[0]))
    expect(first.locator("#confirm-parts li")).to_have_count(6)
    screenshot(first, "sheet-3-confirm")
    # Back to change one element: the confirm closes and nothing was sent.
    first.click("#confirm-no")
    expect(first.locator("#submit-btn")).to_have_text("提交总分")
    expect(first.locator("#sheet-total")).to_have_text(total(SHEETS[0]))
    first.click("#submit-btn")
    first.click("#confirm-yes")
    expect(first.locator("#status")).to_have_attribute("data-state", "submitted")
    expect(first.locator("#my-score")).to_have_text(total(SHEETS[0]))
    expect(first.locator("#done-parts li")).to_have_count(6)
    screenshot(first, "sheet-4-submitted")

    # Seat 2 loses the Wi-Fi as it confirms: the sheet waits on the phone and goes once.
    second = pages[1]
    fill_sheet(second, SHEETS[1])
    second.context.set_offline(True)
    expect(second.locator("#conn")).to_have_attribute("data-conn", "offline")
    second.click("#confirm-yes")
    expect(second.locator("#status")).to_have_attribute("data-state", "pending")
    expect(second.locator("#pending-score")).to_have_text(total(SHEETS[1]))
    screenshot(second, "sheet-5-offline-pending")
    second.context.set_offline(False)
    expect(second.locator("#status")).to_have_attribute("data-state", "submitted", timeout=20_000)

    for page, values in zip(pages[2:], SHEETS[2:], strict=True):
        fill_sheet(page, values)
        page.click("#confirm-yes")
        expect(page.locator("#status")).to_have_attribute("data-state", "submitted")
    screenshot(pages[6], "sheet-6-seventh-submitted")

    got = next(i for i in api.get_session(sid)["interviews"] if i["id"] == iid)
    assert got["state"] == "scored"
    parts = {
        seat: dict(zip(CODES, (Decimal(v) for v in values), strict=True))
        for seat, values in enumerate(SHEETS, start=1)
    }
    criteria = sheets.parse_criteria(SIX, 1)
    expected = sheets.sheet_score(parts, criteria, "per_criterion", 2)
    assert got["result"] == format(expected.result, "f")
    by_seat = {m["seat"]: m for m in got["marks"]}
    for seat, values in enumerate(SHEETS, start=1):
        assert by_seat[seat]["score"] == total(values)
        assert by_seat[seat]["parts"] == {
            c: format(Decimal(v).quantize(Decimal("0.1")), "f")
            for c, v in zip(CODES, values, strict=True)
        }
    submitted = [json.loads(line) for line in api.audit_lines(sid)]
    assert (
        sum(1 for e in submitted if e["kind"] == "mark.submitted" and e["data"]["seat"] == 2) == 1
    )

    # The hall display after the announcement: the judges' totals and each element's average.
    api.flow(iid, "announce")
    context = browser.new_context(
        viewport={"width": 1280, "height": 720}, device_scale_factor=1, locale="zh-CN"
    )
    try:
        display = context.new_page()
        display.goto(sitting["display"]["url"])
        expect(display.locator("#display")).to_have_attribute("data-mode", "announcement")
        expect(display.locator("#elements .element")).to_have_count(6)
        averages = expected.averages(2)
        expect(
            display.locator('#elements .element[data-code="analysis"] .element-average')
        ).to_have_text(averages["analysis"])
        expect(display.locator(".mark.dropped-high, .mark.dropped-low")).to_have_count(0)
        expect(display.locator("#result")).to_contain_text(format(expected.result, "f"))
        if display.locator("#sound-gate").is_visible():
            display.click("#sound-gate")
        screenshot(display, "sheet-7-display")
    finally:
        context.close()
