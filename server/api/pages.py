"""The judge's phone page and the hall display pages, with their static files.

The pages are thin shells: everything they show comes over their socket
(``/ws/judge/{token}``, ``/ws/display/{token}``). The page route only checks that the token
is of the right kind, so that a wrong link gets a friendly page instead of a dead screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

import display_ui
import judge_ui
from server.api import i18n
from server.errors import NotFound
from server.store import repository as repo


def _package_dir(package: Any) -> Path:
    # ``__path__`` rather than ``__file__``: an editable install made before the package had an
    # ``__init__.py`` imports it as a namespace package, which has no ``__file__``.
    return Path(next(iter(package.__path__))).resolve()


JUDGE_DIR = _package_dir(judge_ui)
DISPLAY_DIR = _package_dir(display_ui)
JUDGE_TRANSLATIONS = JUDGE_DIR / "translations"
DISPLAY_TRANSLATIONS = DISPLAY_DIR / "translations"
JUDGE_STATIC = "/assets/judge"
DISPLAY_STATIC = "/assets/display"


_judge = i18n.templates(JUDGE_DIR / "templates", JUDGE_TRANSLATIONS)
_display = i18n.templates(DISPLAY_DIR / "templates", DISPLAY_TRANSLATIONS)
for _tpl in (_judge, _display):
    _tpl.env.globals.update(judge_static=JUDGE_STATIC, display_static=DISPLAY_STATIC)


async def _resolve(request: Request, token: str, role: str) -> tuple[Any, str] | None:
    """The token's row and its sitting's language, or None for a wrong link."""
    kiosk = request.app.state.kiosk

    def read(db: Any) -> tuple[Any, str]:
        row = repo.resolve_token(db, token, role)
        return row, repo.get_sitting(db, row.session_id).language

    try:
        return await kiosk.db.read(read)
    except NotFound:
        return None


def _not_found(request: Request) -> Any:
    response = i18n.render(_judge, request, "not_found.html", JUDGE_TRANSLATIONS)
    response.status_code = 404
    return response


def _no_store(response: Any) -> Any:
    # The page holds a secret token in its URL and is only a shell: never cache it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# The pages of a sitting speak its language (``POST /api/sessions {"language"}``), not the
# browser's: an English-language TV in a Chinese sitting still shows and speaks Chinese.


async def judge_page(request: Request, token: str) -> Any:
    found = await _resolve(request, token, "judge")
    if found is None:
        return _not_found(request)
    row, language = found
    # A score sheet's elements (评分要素): the phone shows them before its socket is up.
    try:
        view = await request.app.state.kiosk.view(row.session_id)
    except NotFound:
        return _not_found(request)
    criteria = [c.as_data() for c in view.criteria] or None
    return _no_store(
        i18n.render(
            _judge,
            request,
            "judge.html",
            JUDGE_TRANSLATIONS,
            language=language,
            token=token,
            seat=row.seat,
            criteria=criteria,
        )
    )


async def display_page(request: Request, token: str) -> Any:
    found = await _resolve(request, token, "display")
    if found is None:
        return _not_found(request)
    return _no_store(
        i18n.render(
            _display, request, "display.html", DISPLAY_TRANSLATIONS, language=found[1], token=token
        )
    )


async def sign_page(request: Request, token: str) -> Any:
    found = await _resolve(request, token, "display")
    if found is None:
        return _not_found(request)
    return _no_store(
        i18n.render(
            _display, request, "sign.html", DISPLAY_TRANSLATIONS, language=found[1], token=token
        )
    )


def mount(app: FastAPI) -> None:
    """Add the page routes and the static files of both UIs to ``app``."""
    app.mount(JUDGE_STATIC, StaticFiles(directory=JUDGE_DIR / "static"), name="judge_static")
    app.mount(DISPLAY_STATIC, StaticFiles(directory=DISPLAY_DIR / "static"), name="display_static")
    app.add_api_route("/judge/{token}", judge_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/display/{token}", display_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/display/{token}/sign", sign_page, methods=["GET"], include_in_schema=False)
