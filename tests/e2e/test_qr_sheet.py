"""The printed QR sheet, read back by a real decoder: every code on it must open its link.

The console's "打印全部二维码" page is rendered by Chromium as it prints (print media, A4) and as
it shows on screen; ``zbarimg`` must find every judge's code and the display's, each equal to the
link the API hands out. The PDF score sheet's codes are checked the same way.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.support import PASSWORD, Api, ServerProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

A4_CSS_PX = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 CSS px per inch


def decode(png: Path) -> list[str]:
    """Every QR code zbarimg finds in ``png``, one string each."""
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 4), done.stderr  # 4: nothing found
    return [line for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(viewport=A4_CSS_PX, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/console")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator(".topbar")).to_be_visible()
    yield page
    context.close()
    assert not errors, errors


def test_every_code_on_the_printed_sheet_scans_to_its_link(
    page: Any, server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    session = api.session(title="二维码打印", judge_count=15)
    expected = sorted([j["url"] for j in session["judges"]] + [session["display"]["url"]])
    assert api.call("GET", f"/api/sessions/{session['id']}/links", 200).json()["display"]["url"] \
        == session["display"]["url"]
    page.goto(f"{server.url}/console/sessions/{session['id']}/qr")
    expect(page.locator(".card svg")).to_have_count(16)

    # As printed: Chromium's own print to PDF on A4, rasterised at 300 dpi (an office laser
    # printer prints at 600). At 150 dpi, anti-aliasing left 6-pixel modules half grey and zbar
    # missed a code now and then, depending on the tokens: a limit of the rasteriser, not paper.
    pdf = tmp_path / "sheet.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / "printed")], check=True)
    printed = [code for png in sorted(tmp_path.glob("printed-*.png")) for code in decode(png)]
    assert sorted(printed) == expected

    # As on screen at 96 dpi, the smallest a phone will ever see it.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "qr_sheet_print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert sorted(decode(shot)) == expected
    # The display's code, on its own, the one that used to be cut off.
    card = page.locator(".card").last
    card.screenshot(path=str(tmp_path / "display.png"))
    assert decode(tmp_path / "display.png") == [session["display"]["url"]]


def test_the_pdf_score_sheet_codes_scan_to_the_audit_head(api: Api, tmp_path: Path) -> None:
    session = api.sitting(judges=5, candidates=2, title="登记表二维码")
    pdf = tmp_path / "scores.pdf"
    pdf.write_bytes(api.call("GET", f"/api/sessions/{session['id']}/export.pdf", 200).content)
    lines = api.call("GET", f"/api/sessions/{session['id']}/audit.jsonl", 200).text.splitlines()
    import json

    head = json.loads(lines[-1])
    payload = f"interview-kiosk session={session['id']} seq={head['seq']} head={head['hash']}"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    for png in pages:
        assert decode(png) == [payload], png.name
