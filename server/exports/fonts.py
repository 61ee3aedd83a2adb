"""A Chinese font for the PDF: an embedded TrueType CJK font when the machine has one.

reportlab embeds TrueType (glyf) fonts, so a printed or forwarded PDF shows the same characters
everywhere. Noto CJK is OpenType/CFF and cannot be embedded; it is skipped. Only when no usable
font is found does the PDF fall back to reportlab's built-in ``STSong-Light`` CID font, which is
not embedded (a reader without Chinese fonts shows boxes), and a warning says so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger("kiosk.exports")

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


def _try(path: str) -> bool:
    if not Path(path).is_file():
        return False
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
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
