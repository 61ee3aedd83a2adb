"""The writer alone: how many judge marks a second one ``Database`` commits, and how fast.

No HTTP, no sockets: ``rooms`` sittings with 7 seats each, every seat submits one mark through
``Kiosk.change``'s path (``repo.submit_mark`` and the snapshot in one write transaction) at once,
and we time each write from call to commit. ``--engine FILE`` loads another version of
``server/store/engine.py`` (say ``git show HEAD~5:server/store/engine.py > /tmp/old.py``) so a
change to the writer can be measured before and after on the same machine minutes apart:

    .venv/bin/python -m bench.writer --rooms 100
    .venv/bin/python -m bench.writer --rooms 100 --engine /tmp/old.py

It drives the ORM repository of 47b3ad3 and before (``repo.submit_mark``, ``repo.load_snapshot``),
which issue 8 replaced by the in-memory sittings and Core writes; against that code run it from a
worktree of such a commit (``git worktree add /tmp/kiosk-before 47b3ad3`` and
``PYTHONPATH=/tmp/kiosk-before .venv/bin/python -m bench.writer``). ``python -m bench`` measures
the whole server, old or new (``--server-dir``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import tempfile
import time
from typing import Any

from server.store import repository as repo


def load_engine(path: str | None) -> Any:
    if not path:
        from server.store import engine

        return engine
    spec = importlib.util.spec_from_file_location("engine_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def main_async(args: argparse.Namespace) -> None:
    engine = load_engine(args.engine)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kiosk-writer-')}/k.db"
    db = engine.Database(url)
    db.create_schema()
    fields = {"title": "写入", "batch": "", "judge_count": 7, "score_decimals": 1,
              "result_decimals": 2, "min_scores": 5}
    rooms = []
    for _ in range(args.rooms):
        sid = db.write_sync(lambda s: repo.create_sitting(s, fields)).id
        db.write_sync(lambda s, sid=sid: repo.create_position(
            s, sid, {"code": "A", "name": "甲", "openings": 1, "shortlist_ratio": "1"}))
        iid = db.write_sync(lambda s, sid=sid: repo.create_interview(s, sid, 1, "张三", "A")).id
        db.write_sync(lambda s, iid=iid: repo.start(s, iid))
        rooms.append((sid, iid))

    async def one(sid: int, iid: int, seat: int) -> float:
        def work(s: Any) -> Any:
            ack = repo.submit_mark(s, sid, seat, f"w{seat}", iid, "86.5")
            return ack, repo.load_snapshot(s, sid)

        t0 = time.perf_counter()
        await db.write(work)
        return time.perf_counter() - t0

    cpu0, t0 = time.process_time(), time.perf_counter()
    latencies = await asyncio.gather(*(one(sid, iid, seat) for sid, iid in rooms for seat in range(1, 8)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    latencies = sorted(latencies)
    n = len(latencies)
    commits = getattr(db, "commits", None)
    print(
        f"{args.engine or 'server/store/engine.py'}: {n} marks in {wall:.2f} s = {n / wall:.0f} marks/s; "
        f"{cpu / n * 1000:.2f} ms CPU a mark; latency p50 {latencies[n // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(n * 0.99) - 1] * 1000:.0f} ms; commits {commits if commits is not None else n}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--engine", default=None, help="another engine.py to measure")
    parser.add_argument("--database-url", default=None)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
