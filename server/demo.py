"""``kiosk serve --demo``: a ready sitting to try the whole flow, and its links printed.

Which database and which password:

- ``KIOSK_DATABASE_URL`` unset: the demo runs on its own file, ``./kiosk-data/demo.db``, and sets a
  fresh secretary password there (or ``KIOSK_SECRETARY_PASSWORD`` when given) that it prints. The
  real default database is not touched.
- ``KIOSK_DATABASE_URL`` set: the demo adds its sitting to that database and leaves the password
  alone — a real database's password is never reset behind the secretary's back. If the database
  had none, the start-up prints the generated one as usual.

Links use ``KIOSK_PUBLIC_URL`` when set; when bound to every interface (0.0.0.0) they use this
machine's LAN address, so the printed QR codes work on the judges' phones.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

import segno
from argon2 import PasswordHasher
from fastapi import FastAPI

from server.api.app import generate_password
from server.api.campaign_pages import announce_demo_campaign
from server.domain import sitting as sd
from server.domain.scoring import fmt
from server.store import repository as repo
from server.store import sittings as store
from server.store.engine import Database

DEMO_DATABASE_URL = "sqlite:///./kiosk-data/demo.db"
POSITIONS = [
    ("A01", "党政办公室副主任", 1, "2"),
    ("B01", "投资促进局副局长", 1, "2"),
    ("C01", "经济发展服务局工作人员", 2, "1.5"),
]
CANDIDATES = [
    (1, "赵明远", "A01"),
    (2, "钱晓燕", "A01"),
    (3, "孙立新", "A01"),
    (4, "李文静", "A01"),
    (1, "周海涛", "B01"),
    (2, "吴丽华", "B01"),
    (3, "郑国强", "B01"),
    (4, "王雪梅", "B01"),
    (1, "冯志刚", "C01"),
    (2, "陈佳怡", "C01"),
    (3, "褚建军", "C01"),
    (4, "卫小红", "C01"),
]


@dataclass
class Demo:
    session_id: int
    judges: list[tuple[int, str]]  # (seat, token)
    display: str


def create_demo_sitting(kiosk: Any) -> Demo:
    """Write the demo sitting (7 seats, 3 posts, 12 candidates) through the kiosk's writer."""

    def commands(conn: Any) -> list[sd.Command]:
        made: list[sd.Command] = [
            sd.CreateSitting(
                store.reserve_id(conn, "sitting"),
                "演示场次 · 竞聘上岗面试",
                7,
                1,
                2,
                5,
                batch="第一批次",
            )
        ]
        made += [
            sd.AddPosition(
                store.reserve_id(conn, "position"), code, name, openings, fmt(Decimal(ratio)) or "1"
            )
            for code, name, openings, ratio in POSITIONS
        ]
        made += [
            sd.AddInterview(store.reserve_id(conn, "interview"), draw_no, name, code)
            for draw_no, name, code in CANDIDATES
        ]
        return made

    sitting_id = kiosk.run_sync(None, commands).sitting_id
    tokens = kiosk.db.read_sync(lambda db: repo.tokens_of(db, sitting_id))
    judges = sorted((t.seat or 0, t.token) for t in tokens if t.role == "judge")
    display = next(t.token for t in tokens if t.role == "display")
    return Demo(sitting_id, judges, display)


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), else loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def base_url(host: str, port: int, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/") + "/"
    if host in ("0.0.0.0", "::", ""):
        host = lan_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def print_qr(url: str, out: TextIO) -> None:
    code = segno.make(url, error="l")
    try:
        code.terminal(out=out, compact=True)
    except UnicodeEncodeError:  # a terminal without block characters: ANSI colours instead
        code.terminal(out=out)


def print_demo(demo: Demo, base: str, password_line: str, out: TextIO | None = None) -> None:
    """Print the console address, the password, the display and each judge's link with QR codes."""
    out = out or sys.stdout
    console = f"{base}console#s={demo.session_id}"
    rule = "=" * 72
    print(rule, file=out)
    print(f"演示场次已就绪 / Demo sitting ready (#{demo.session_id})", file=out)
    print(f"控制台 / Console: {console}", file=out)
    print(f"密码 / Password: {password_line}", file=out)
    print(rule, file=out)
    display = f"{base}display/{demo.display}"
    print(f"大屏 / Display: {display}", file=out)
    print_qr(display, out)
    for seat, token in demo.judges:
        url = f"{base}judge/{token}"
        print(f"评委 第{seat}席 / Judge seat {seat}: {url}", file=out)
        print_qr(url, out)
    print(rule, file=out)
    print(f"控制台 / Console: {console}", file=out)
    print(f"密码 / Password: {password_line}", file=out)
    print(
        "在控制台“评委与大屏链接”中可打印全部二维码。 / Print every QR code from the console.",
        file=out,
    )
    print(rule, file=out, flush=True)


def schedule_demo(app: FastAPI, host: str, port: int) -> None:
    """Arrange for the demo sitting to be created and printed when ``app`` starts."""
    settings = app.state.settings
    kiosk = app.state.kiosk
    base = base_url(host, port, settings.public_url)
    if not settings.public_url and host in ("0.0.0.0", "::", ""):
        # Links and QR codes in the console should reach the phones too, not only this laptop.
        settings.public_url = base
    configured = settings.secretary_password

    if "database_url" not in settings.model_fields_set:
        demo_db = Database(DEMO_DATABASE_URL)
        unused = kiosk.db
        kiosk.db = demo_db

        @asynccontextmanager
        async def own_database(app: FastAPI) -> AsyncIterator[None]:
            demo_db.create_schema()
            if configured is not None:
                password = configured.get_secret_value()
                shown = "（与 KIOSK_SECRETARY_PASSWORD 相同 / as in KIOSK_SECRETARY_PASSWORD）"
            else:
                password = shown = generate_password()
            hashed = PasswordHasher().hash(password)
            demo_db.write_sync(lambda db: repo.put_setting(db, "secretary_password", hashed))
            demo = create_demo_sitting(kiosk)
            print(f"演示数据库 / Demo database: {DEMO_DATABASE_URL}", flush=True)
            print_demo(demo, base, shown)
            await announce_demo_campaign(app, base)
            try:
                yield
            finally:
                demo_db.close()
                unused.close()

        app.router.lifespan_context = own_database
        return

    original = app.router.lifespan_context

    @asynccontextmanager
    async def shared_database(app: FastAPI) -> AsyncIterator[Any]:
        db = kiosk.db
        db.create_schema()
        had_password = db.read_sync(lambda s: repo.get_setting(s, "secretary_password")) is not None
        async with original(app) as state:  # creates the schema and, if none, a password it prints
            if configured is not None:
                shown = "（与 KIOSK_SECRETARY_PASSWORD 相同 / as in KIOSK_SECRETARY_PASSWORD）"
            elif had_password:
                shown = "（该数据库原有的秘书密码，未更改 / this database's existing password, unchanged）"
            else:
                shown = "（见上方“秘书初始密码” / printed above as the initial password）"
            demo = create_demo_sitting(kiosk)
            print_demo(demo, base, shown)
            await announce_demo_campaign(app, base)
            yield state

    app.router.lifespan_context = shared_database
