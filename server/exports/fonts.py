"""A Chinese font for the PDF: an embedded TrueType CJK font when the machine has one.

reportlab embeds TrueType (glyf) fonts, so a printed or forwarded PDF shows the same characters
everywhere. Noto CJK is OpenType/CFF and cannot be embedded; it is skipped. Only when no usable
font is found does the PDF fall back to reportlab's built-in ``STSong-Light`` CID font, which is
not embedded (a reader without Chinese fonts shows boxes), and a warning says so.

WenQuanYi Micro Hei has the common characters only; rare ones in real names (刘䶮, 王𠀀明, 张𬌗)
are drawn with the next font that has them: HanaMin A and B (Debian's ``fonts-hanazono``,
TrueType, together most of CJK Extensions A–F). :class:`Runs` splits a text into runs, each in
the first font that has every character of it, and remembers the characters no font has, so
the sheet can say which ones it could not print.
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger("kiosk.exports")


def _utf16_hex(code: int) -> str:
    if code <= 0xFFFF:
        return f"{code:04X}"  # a lone surrogate too, as reportlab wrote it
    return chr(code).encode("utf-16-be").hex().upper()


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond U+FFFF written as UTF-16 pairs.

    reportlab writes ``<%04X>``, so U+20000 (𠀀) reads back as U+2000 (a space) and U+2C317 (𬌗)
    as U+2C31: the PDF would print the right glyph but copy, search and ``pdftotext`` would give
    a wrong name.
    """
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap

FONT_NAME = "KioskCJK"
FALLBACK = "STSong-Light"

#: Places Debian and other Linux distributions put TrueType fonts with Chinese glyphs, best first.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-droid/DroidSansFallbackFull.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)


def _try(path: str, name: str = FONT_NAME) -> bool:
    if not Path(path).is_file():
        return False
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except Exception as exc:  # noqa: BLE001 - a CFF font or a broken file: try the next one
        log.info("cannot embed %s: %s", path, exc)
        return False
    return True


def register(paths: Iterable[str]) -> str:
    """Register the first embeddable font of ``paths`` and return its name, else the fallback."""
    for path in paths:
        if _try(path):
            log.debug("PDF font: %s", path)
            return FONT_NAME
    log.warning(
        "No TrueType Chinese font found (install Debian's fonts-wqy-microhei): the PDF uses the "
        "built-in %s font, which is not embedded and may show as boxes on other machines.",
        FALLBACK,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _chosen() -> str:
    wanted = os.environ.get("KIOSK_PDF_FONT")
    return register([*([wanted] if wanted else []), *CANDIDATES])


def cjk_font() -> str:
    """The font the PDF writes Chinese with; a path in ``KIOSK_PDF_FONT`` is tried first."""
    with _lock:  # exports render on worker threads: register once
        return _chosen()


#: Fonts for the characters the main font lacks, tried in order (``KIOSK_PDF_FALLBACK_FONTS``,
#: paths separated by ``:``, are tried first).
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)


@lru_cache(maxsize=1)
def _fallbacks() -> tuple[str, ...]:
    wanted = [p for p in os.environ.get("KIOSK_PDF_FALLBACK_FONTS", "").split(":") if p]
    names: list[str] = []
    for index, path in enumerate([*wanted, *FALLBACK_CANDIDATES]):
        name = f"KioskCJKExtra{index}"
        if _try(path, name):
            names.append(name)
    if not names:
        log.warning(
            "No fallback font for rare characters (install Debian's fonts-hanazono): characters "
            "such as 䶮 or 𠀀 in names cannot be printed in the PDF."
        )
    return tuple(names)


def fallback_fonts() -> tuple[str, ...]:
    """Names of the registered fonts tried, in order, for characters the main font lacks."""
    with _lock:
        return _fallbacks()


def covers(font: str, char: str) -> bool:
    """True when ``font`` has a glyph for ``char`` (a CID font is taken to have them all)."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None or not hasattr(face, "charToGlyph"):
        return True
    return ord(char) in face.charToGlyph


def _invisible(char: str) -> bool:
    # Spaces, line breaks and controls need no glyph (controls are replaced before printing).
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


class Runs:
    """Split texts into runs by font; collect the characters no font can draw."""

    def __init__(self, main: str, extra: Sequence[str] | None = None) -> None:
        self.main = main
        # The fallbacks are large (HanaMin A and B: 50 MB): loaded on the first rare character.
        self._extra = None if extra is None else tuple(extra)
        self.missing: dict[str, None] = {}  # ordered set
        self._choice: dict[str, str] = {}

    def font_for(self, char: str) -> str:
        """The first font with a glyph for ``char``; the main font (and a note) if none has."""
        found = self._choice.get(char)
        if found is None:
            if _invisible(char) or covers(self.main, char):
                found = self.main
            else:
                if self._extra is None:
                    self._extra = fallback_fonts()
                found = next((f for f in self._extra if covers(f, char)), None)
                if found is None:
                    self.missing[char] = None
                    found = self.main
            self._choice[char] = found
        return found

    def split(self, text: str) -> list[tuple[str, str]]:
        """``text`` as ``[(font, run), ...]``, neighbours in the same font joined."""
        runs: list[tuple[str, str]] = []
        for char in text:
            font = self.font_for(char)
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    def markup(self, text: str) -> str:
        """``text`` escaped for a reportlab paragraph, rare characters in a ``<font>`` tag."""
        out = []
        for font, run in self.split(text):
            escaped = escape(run)
            out.append(escaped if font == self.main else f'<font name="{font}">{escaped}</font>')
        return "".join(out)

    def draw(
        self, canvas: Any, x: float, y: float, text: str, size: float, right: bool = False
    ) -> None:
        """Draw ``text`` on ``canvas`` run by run (``right``: ending at ``x``)."""
        runs = self.split(text)
        if right:
            x -= sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
        for font, run in runs:
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, font, size)
