"""Page translations: Chinese by default, English on request (Babel catalogs, Jinja2 i18n).

Message ids are the Chinese texts; each UI package keeps ``translations/en/LC_MESSAGES/messages.po``
beside its templates. Catalogs are compiled in memory at start, so there is no build step.
"""

from __future__ import annotations

import contextvars
import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates

LANGS = ("zh", "en")
LANG_COOKIE = "kiosk_lang"
_current: contextvars.ContextVar[gettext.NullTranslations] = contextvars.ContextVar(
    "kiosk_translations",
    default=gettext.NullTranslations(),  # noqa: B039 - never mutated: a stand-in until a request sets it
)


def negotiate(request: Request) -> str:
    """``?lang=``, then the language cookie, then Accept-Language; Chinese when unsure."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGS:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "zh"


@lru_cache
def catalog(translations_dir: Path, lang: str) -> gettext.NullTranslations:
    """Load ``translations_dir/<lang>/LC_MESSAGES/messages.po`` compiled in memory."""
    po = translations_dir / lang / "LC_MESSAGES" / "messages.po"
    if lang == "zh" or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(fh, locale=lang))
    compiled.seek(0)
    return Translations(compiled)


def templates(directory: Path, translations_dir: Path) -> Jinja2Templates:
    """Jinja2 templates whose ``_()`` follows the current request's language."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: _current.get().gettext(message),
        ngettext=lambda s, p, n: _current.get().ngettext(s, p, n),
        newstyle=True,
    )
    env.globals["translations_dir"] = str(translations_dir)
    return Jinja2Templates(env=env)


def render(
    tpl: Jinja2Templates,
    request: Request,
    name: str,
    translations_dir: Path,
    *,
    language: str | None = None,
    **context: Any,
) -> Any:
    """Render ``name`` in ``language``, else in the request's language (remembered in a cookie).

    A page that belongs to a sitting (a judge's phone, the hall display) passes the sitting's
    language: it is the secretary's choice for the room, whatever the device's browser prefers.
    """
    fixed = language in LANGS
    lang = str(language) if fixed else negotiate(request)
    token = _current.set(catalog(translations_dir, lang))
    try:
        # TemplateResponse renders in its constructor, while this request's catalog is current.
        response = tpl.TemplateResponse(request, name, {"lang": lang, **context})
    finally:
        _current.reset(token)
    if not fixed and request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def gettext_for(request: Request, translations_dir: Path) -> Any:
    """A ``_()`` for Python code that builds strings for a page (e.g. the JS string table)."""
    return catalog(translations_dir, negotiate(request)).gettext
