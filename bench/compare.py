"""Put two or more ``python -m bench`` runs side by side: one RESULTS.md and one plot.

Each run wrote ``results.json`` into its ``--out`` (``bench/results/`` keeps the ones the
committed RESULTS.md was made from); this reads them and writes the tables with a
column naming the code, the issue's targets for each run, and ``backtoback.png`` with a curve
per run:

    .venv/bin/python -m bench.compare /tmp/bench-before /tmp/bench-after \\
        --labels "before (47b3ad3)","after (live tree)" --out bench

``--processes`` writes instead ``processes.md``: the section "Several processes on PostgreSQL"
(one row a run and room count: processes, database, marks/s, p99s, CPU a mark, RSS a process),
for runs made with ``--processes N --database-url URL`` and a SQLite run beside them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.run import (
    LengthRow,
    Row,
    config_lines,
    length_table,
    mark,
    plot_backtoback,
    processes_table,
    table,
    target_checks,
)


def side_by_side(runs: list[tuple[str, dict[str, Any]]], note: str = "") -> str:
    first = runs[0][1]
    lines = ["# interview-kiosk load benchmark: issue 8, before and after", ""]
    if note:
        lines += [note.strip(), ""]
    lines.append("Each run, as it was typed (from `/work/main`, with `/work/main/.venv`):")
    lines.append("")
    for label, result in runs:
        code = result["code"]
        lines.append(
            f"- **{label}**: `.venv/bin/{result['command']}` "
            f"— {result['started']} UTC, {result['seconds']:.0f} s, load average "
            f"{result['load_start']:.1f} → {result['load_end']:.1f}; server code "
            f"`{code['server_file']}` (commit {code['commit']}; changes to server/ beyond it: "
            f"{code['server_changes']})"
        )
    lines += ["", *config_lines(argparse.Namespace(**first["args"]))]
    ignore = {"out", "server_dir", "keep", "profile"}
    differ = sorted(k for k in first["args"] if k not in ignore
                    and any(r["args"].get(k) != first["args"][k] for _, r in runs[1:]))
    if differ:
        lines.append("**The runs differ in:** " + ", ".join(
            f"{k} ({' / '.join(str(r['args'].get(k)) for _, r in runs)})" for k in differ))
    lines.append("")
    lines += ["## Back to back (the hard case)", ""]
    rows: list[str] = []
    for n, (label, result) in enumerate(runs):
        body = table([Row(**r) for r in result["rows"]], label).splitlines()
        rows += body if n == 0 else body[2:]
    # Group by rooms so before and after sit next to each other.
    head, rule, body_rows = rows[0], rows[1], rows[2:]
    body_rows.sort(key=lambda line: int(line.split("|")[3]))
    lines += [head, rule, *body_rows, ""]
    if any(result.get("lengths") for _, result in runs):
        args = first["args"]
        rooms = sorted({r["args"]["length_rooms"] for _, r in runs if r.get("lengths")})
        lines += ["## CPU and bytes a mark against the sitting's length", "",
                  f"The marks alone: {' / '.join(map(str, rooms))} rooms (the rooms column), "
                  f"{args['length_rounds']} "
                  "interviews each, marks over 2 s; server CPU and every payload byte the room's "
                  "7 judges, display and console receive, from the first mark sent until 0.3 s "
                  "after the last ack, divided by the marks.", ""]
        rows = []
        for n, (label, result) in enumerate(runs):
            body = length_table([LengthRow(**r) for r in result["lengths"]], label).splitlines()
            rows += body if n == 0 else body[2:]
        lines += [*rows, ""]
    lines += ["## 2,000 idle sockets", ""]
    for label, result in runs:
        for kind, idle in result.get("idle", {}).items():
            lines.append(f"- {label}, {kind}: {idle['opened']} idle sockets, server RSS "
                         f"{idle['rss']:.0f} MB ({idle['before']:.0f} MB before they opened)")
    lines += ["", "## Issue 8's targets", ""]
    checks = [dict((t, (m, ok)) for t, m, ok in target_checks(result)) for _, result in runs]
    names: list[str] = []
    for c in checks:
        names += [t for t in c if t not in names]
    lines.append("| target | " + " | ".join(label for label, _ in runs) + " |")
    lines.append("|---|" + "---|" * len(runs))
    for name in names:
        cells = []
        for c in checks:
            measured, ok = c.get(name, ("–", None))
            cells.append(f"{measured} ({mark(ok)})" if ok is not None else measured)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def several(runs: list[tuple[str, dict[str, Any]]], note: str = "") -> str:
    """The section on several kiosk processes sharing one database, one row a run and rooms."""
    lines = ["## Several processes on PostgreSQL", ""]
    if note:
        lines += [note.strip(), ""]
    for n, (label, result) in enumerate(runs):
        kiosk = [Row(**r) for r in result["rows"] if r["target"] == "kiosk"]
        body = processes_table(kiosk, label).splitlines()
        lines += body if n == 0 else body[2:]
    lines += ["", "Each run, as it was typed (from `/work/main`, with `/work/main/.venv`):", ""]
    for label, result in runs:
        code = result["code"]
        lines.append(
            f"- **{label}**: `.venv/bin/{result['command']}` — {result['started']} UTC, "
            f"{result['seconds']:.0f} s, load average {result['load_start']:.1f} → "
            f"{result['load_end']:.1f}; server code `{code['server_file']}` (commit "
            f"{code['commit']}; changes to server/ beyond it: {code['server_changes']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path,
                        help="the runs: their --out directories or results.json files")
    parser.add_argument("--labels", default=None, help="comma-separated names, one a run")
    parser.add_argument("--note", type=Path, default=None,
                        help="a Markdown file whose text goes under the title (how to read it)")
    parser.add_argument("--appendix", type=Path, default=None,
                        help="a Markdown file added at the end (say, an earlier paced run)")
    parser.add_argument("--processes", action="store_true",
                        help="write processes.md, the section on several processes, instead")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    labels = args.labels.split(",") if args.labels else [p.name for p in args.runs]
    files = [path / "results.json" if path.is_dir() else path for path in args.runs]
    runs = [(label, json.loads(path.read_text(encoding="utf-8")))
            for label, path in zip(labels, files, strict=True)]
    note = args.note.read_text(encoding="utf-8") if args.note else ""
    if args.processes:
        text = several(runs, note)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "processes.md").write_text(text + "\n", encoding="utf-8")
        print(text)
        print(f"\nwrote {args.out / 'processes.md'}")
        return 0
    text = side_by_side(runs, note)
    if args.appendix:
        text += "\n\n" + args.appendix.read_text(encoding="utf-8").strip()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    plot_backtoback(runs, args.out / "backtoback.png")
    print(text)
    print(f"\nwrote {args.out / 'RESULTS.md'} and {args.out / 'backtoback.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
