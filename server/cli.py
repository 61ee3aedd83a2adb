"""The ``kiosk`` command: serve, verify, backup, export."""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="interview-kiosk: live scoring for competitive interviews.", no_args_is_help=True
)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for the hall Wi-Fi).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Create a ready demo sitting and print its links.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the scoring service."""
    import uvicorn

    from server.api.app import create_app
    from server.config import get_settings

    settings = get_settings()
    from server.store.engine import StartRefused, open_for_serving

    try:  # SQLite: one process per file, and a sound file; said plainly, before anything starts
        open_for_serving(settings.database_url)
    except StartRefused as exc:
        typer.echo(f"{exc.zh}\n{exc.en}", err=True)
        raise typer.Exit(1) from None
    application = create_app(settings)
    application.state.settle_heap = True
    if demo:
        from server.demo import schedule_demo

        schedule_demo(application, host, port)
    from uvicorn.config import STARTUP_FAILURE

    from server.transport import QuietServer, protocols

    _raise_open_files_limit(settings.max_connections + 256)
    http_protocol, ws_protocol = protocols(settings.header_timeout, settings.send_stall_timeout)
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level=log_level,
        ws_max_size=settings.ws_max_size,
        # Served straight to the hall's phones: no proxy to trust, and one layer less kept
        # alive on every open socket.
        proxy_headers=False,
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=5,
        # Slow or stuck clients: headers must arrive in time, a peer that stops reading is
        # dropped, idle keep-alive connections close, and past max_connections new requests get
        # 503 at once instead of running the process out of file descriptors.
        http=http_protocol,
        ws=ws_protocol,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
    )
    server = QuietServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # as uvicorn.run: the port taken, the app's start-up failed
        raise typer.Exit(STARTUP_FAILURE)


def _raise_open_files_limit(wanted: int) -> None:
    """Lift the soft limit on open files towards ``wanted`` (the hard limit caps it)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An audit.jsonl file exported from the kiosk.")],
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="The head hash printed on the paper record: the chain must end exactly there.",
        ),
    ] = None,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute",
            help="Recompute every interview's result from its marks (复核) and name each that disagrees.",
        ),
    ] = False,
) -> None:
    """Check an audit log's hash chain; exit 1 naming the first bad line (2: unreadable file)."""
    from server.store.audit import HEAD_PATTERN, parse_event, split_lines, verify_lines

    if head is not None and not HEAD_PATTERN.fullmatch(head.strip().lower()):
        typer.echo(
            f"--head 须为 64 位十六进制哈希 / --head must be a 64-digit hex SHA-256: {head!r}",
            err=True,
        )
        raise typer.Exit(2)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"无法读取 / cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    lines = split_lines(text)
    verdict = verify_lines(lines, expect_head=head)
    if not verdict.ok:
        typer.echo(f"第 {verdict.bad_line} 行有误：{verdict.reason_zh}", err=True)
        typer.echo(f"BROKEN at line {verdict.bad_line}: {verdict.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {verdict.lines} events, chain head {verdict.head}")
    if not recompute:
        return
    from server.store.recompute import recompute as replay

    events = [
        (number, parse_event(raw)) for number, raw in enumerate(lines, start=1) if raw.strip()
    ]
    scored = sum(1 for _, event in events if event["kind"] == "interview.scored")
    disagreements = replay(events)
    for finding in disagreements:
        zh, en = finding.describe()
        typer.echo(f"复核不符 {zh}", err=True)
        typer.echo(f"MISMATCH {en}", err=True)
    if disagreements:
        raise typer.Exit(1)
    typer.echo(f"复核一致 / recomputed: {scored} scored interview(s) agree")


@app.command()
def backup(
    dest: Annotated[
        Path,
        typer.Argument(help="The copy to write: a new file, or a folder to put a dated copy in."),
    ],
) -> None:
    """Copy the SQLite database to one consistent file, even while a server is live."""
    import sqlite3
    from datetime import datetime

    from server.config import get_settings
    from server.store.engine import backup_sqlite, sqlite_path

    url = get_settings().database_url
    source = sqlite_path(url)
    if source is None:
        typer.echo(
            "此数据库不是 SQLite 文件：PostgreSQL 请用 pg_dump 备份。\n"
            "This database is not a SQLite file: back PostgreSQL up with pg_dump.",
            err=True,
        )
        raise typer.Exit(2)
    if not source.is_file():
        typer.echo(f"数据库不存在 / no database at {source} (set KIOSK_DATABASE_URL)", err=True)
        raise typer.Exit(1)
    if dest.is_dir():
        dest = dest / f"kiosk-{datetime.now().strftime('%Y%m%d-%H%M%S')}.db"
    if dest.exists():
        typer.echo(f"目标已存在，不覆盖 / {dest} exists: not overwriting it", err=True)
        raise typer.Exit(1)
    try:
        backup_sqlite(source, dest)
    except (OSError, sqlite3.Error) as exc:
        typer.echo(f"备份失败 / backup failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已备份 / backed up {source} -> {dest} ({dest.stat().st_size} bytes, integrity ok)")


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    jsonl = "jsonl"


@app.command()
def export(
    session: Annotated[int, typer.Argument(help="The sitting's id.")],
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="What to write.")
    ] = ExportFormat.pdf,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: 面试成绩-TITLE-DATE.FORMAT; '-' for stdout).",
        ),
    ] = None,
) -> None:
    """Write a sitting's record (CSV, XLSX, PDF score sheet or the audit log) from the database."""
    from sqlalchemy.exc import SQLAlchemyError

    from server.config import get_settings
    from server.errors import KioskError
    from server.exports import csv_export, pdf_export, xlsx_export
    from server.exports.record import ensure_not_scoring, export_filename, read_record, read_view
    from server.store import repository as repo
    from server.store.engine import Database, is_sqlite

    url = get_settings().database_url
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).is_file():
            typer.echo(f"数据库不存在 / no database at {path} (set KIOSK_DATABASE_URL)", err=True)
            raise typer.Exit(1)
    db = Database(url)
    try:
        if format is ExportFormat.jsonl:

            def audit(s: Any) -> tuple[Any, list[str]]:
                snapshot = read_view(s, session)
                ensure_not_scoring(snapshot)  # the log holds every mark as it comes in
                return snapshot, repo.audit_lines(s, session)

            sitting, lines = db.read_sync(audit)
            body = "".join(line + "\n" for line in lines).encode("utf-8")
            default_name = export_filename(sitting, "jsonl", "审计日志")
        elif format is ExportFormat.csv:
            sitting = db.read_sync(lambda s: read_view(s, session))
            body = csv_export.render(sitting)
            default_name = export_filename(sitting, "csv")
        else:
            record = db.read_sync(lambda s: read_record(s, session))
            if format is ExportFormat.xlsx:
                ensure_not_scoring(record.session)  # its audit sheet holds every mark
            body = (xlsx_export if format is ExportFormat.xlsx else pdf_export).render(record)
            default_name = export_filename(record.session, format.value)
    except KioskError as exc:
        typer.echo(f"{exc.message} / {exc.message_en}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        typer.echo(
            f"无法读取数据库 / cannot read the database: {exc.__class__.__name__}: {exc}", err=True
        )
        raise typer.Exit(1) from None
    finally:
        db.close()
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    target = output or Path(default_name)
    try:
        target.write_bytes(body)
    except OSError as exc:
        typer.echo(f"cannot write {target}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{target} ({len(body)} bytes)")


def main() -> None:  # pragma: no cover
    app(prog_name="kiosk")


if __name__ == "__main__":  # pragma: no cover
    main()
