"""Browser fixtures: sync Playwright driving Debian's Chromium (never ``playwright install``).

These tests run in their own pytest process (``pytest -m browser``): the sync Playwright API
and pytest-asyncio cannot share one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a real-size screenshot of ``page`` as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path))
    return path


# Every visible text on the page whose colour against its background falls under WCAG AA:
# 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Backgrounds are taken from the nearest
# ancestor with an opaque background colour.
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return colour;
  };
  const out = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    if (el.closest("script,style,[hidden]")) continue;
    const rect = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (!rect.width || !rect.height || st.visibility === "hidden" || st.display === "none") continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    seen.add(el);
    const fg = parse(st.color);
    const bg = background(el);
    const fgb = blend(fg, bg);
    const [hi, lo] = [lum(fgb), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    out.push({ text: node.textContent.trim().slice(0, 30), ratio: Math.round(ratio * 100) / 100,
               need: large ? 3 : 4.5, color: st.color, size });
  }
  return out;
}
"""


def contrast_failures(page: Any) -> list[dict[str, Any]]:
    """Return the visible texts of ``page`` below WCAG AA contrast (and assert some were checked)."""
    checked = page.evaluate(CONTRAST_JS)
    assert checked, "no visible text was checked"
    return [c for c in checked if c["ratio"] < c["need"]]
