"""The ``kiosk`` command: serve, verify, export."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="interview-kiosk: live scoring for competitive interviews.", no_args_is_help=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for the hall Wi-Fi).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Create a ready demo sitting and print its links.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the scoring service."""
    import uvicorn

    from server.api.app import create_app
    from server.config import get_settings

    settings = get_settings()
    application = create_app(settings)
    if demo:
        from server.demo import schedule_demo

        schedule_demo(application, host, port)
    uvicorn.run(
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
    )


@app.command()
def verify(file: Annotated[Path, typer.Argument(help="An audit.jsonl file exported from the kiosk.")]) -> None:
    """Check an audit log's hash chain; exit 1 naming the first bad line."""
    from server.store.audit import verify_lines

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    verdict = verify_lines(text.splitlines())
    if verdict.ok:
        typer.echo(f"OK: {verdict.lines} events, chain head {verdict.head}")
        return
    typer.echo(f"BROKEN at line {verdict.bad_line}: {verdict.reason}", err=True)
    raise typer.Exit(1)


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    jsonl = "jsonl"


@app.command()
def export(
    session: Annotated[int, typer.Argument(help="The sitting's id.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="What to write.")] = ExportFormat.pdf,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: session-ID.FORMAT; '-' for stdout).")
    ] = None,
) -> None:
    """Write a sitting's record (CSV, XLSX, PDF score sheet or the audit log) from the database."""
    from sqlalchemy.exc import SQLAlchemyError

    from server.config import get_settings
    from server.errors import KioskError
    from server.exports import csv_export, pdf_export, xlsx_export
    from server.exports.record import read_record
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
            lines = db.read_sync(lambda s: repo.audit_lines(s, session))
            body = "".join(line + "\n" for line in lines).encode("utf-8")
        elif format is ExportFormat.csv:
            body = csv_export.render(db.read_sync(lambda s: repo.load_snapshot(s, session)))
        else:
            record = db.read_sync(lambda s: read_record(s, session))
            body = (xlsx_export if format is ExportFormat.xlsx else pdf_export).render(record)
    except KioskError as exc:
        typer.echo(f"{exc.message} / {exc.message_en}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        typer.echo(f"无法读取数据库 / cannot read the database: {exc.__class__.__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.close()
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    target = output or Path(f"session-{session}.{format.value}")
    try:
        target.write_bytes(body)
    except OSError as exc:
        typer.echo(f"cannot write {target}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{target} ({len(body)} bytes)")


def main() -> None:  # pragma: no cover
    app(prog_name="kiosk")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
