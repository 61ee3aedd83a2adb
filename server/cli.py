"""The ``kiosk`` command: serve, verify, export."""

from __future__ import annotations

import sys
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


def main() -> None:  # pragma: no cover
    app(prog_name="kiosk")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
