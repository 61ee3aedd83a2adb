"""A killed server loses no acknowledged mark; many sittings score at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.exceptions import WebSocketException

from server.store.audit import verify_lines
from tests.support import Api, ServerProcess, Socket


def submit_all(server: ServerProcess, sitting: dict, marks: list[str], acks: list, stop: threading.Event,
               barrier: threading.Barrier | None = None) -> None:
    """One thread per seat: connect, wait for everyone, submit, record the ack."""
    iid = sitting["interviews"][0]["id"]

    def seat(index: int) -> None:
        sock = None
        try:
            sock = Socket(f"{server.ws_url}/ws/judge/{sitting['judges'][index]['token']}")
            sock.recv()
            if barrier is not None:
                barrier.wait(30)
            if stop.is_set():
                return
            ack = sock.submit(iid, marks[index], f"req-{index}")
            if ack["type"] == "ack":
                acks.append((sitting["id"], index + 1, ack["score"]))
        except (WebSocketException, OSError, TimeoutError, threading.BrokenBarrierError):
            pass  # the server died under us: whatever was not acked may be lost
        finally:
            if sock is not None:
                sock.close()

    with ThreadPoolExecutor(len(marks)) as pool:
        list(pool.map(seat, range(len(marks))))


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_no_acknowledged_mark(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    api = Api(fresh_server.url)
    sittings = [api.sitting(judges=7) for _ in range(6)]
    for s in sittings:
        api.flow(s["interviews"][0]["id"], "start")
    api.http.close()
    acks: list = []
    stop = threading.Event()
    marks = ["81.5", "77", "90.5", "66", "88", "79.5", "84"]

    def killer() -> None:
        while len(acks) < 12:
            if stop.wait(0.001):
                return
        fresh_server.kill()
        stop.set()

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    with ThreadPoolExecutor(len(sittings)) as pool:
        list(pool.map(lambda s: submit_all(fresh_server, s, marks, acks, stop), sittings))
    stop.set()
    kill_thread.join()
    assert acks, "no mark was acknowledged before the kill"

    fresh_server.start()
    api = Api(fresh_server.url)
    for sid, seat, score in acks:
        marks_after = api.get_session(sid)["interviews"][0]["marks"]
        assert marks_after[seat - 1]["submitted"], (sid, seat, score)
    audit_ok = [verify_lines(api.audit_lines(s["id"])).ok
                for s in sittings]
    assert all(audit_ok)
    # The scores themselves: once an interview is scored they are visible and must be as acked.
    for sid, seat, score in acks:
        row = api.get_session(sid)["interviews"][0]
        if row["state"] == "scored":
            assert row["marks"][seat - 1]["score"] == score
    # And the sittings carry on after the restart: the rest of the judges can still mark.
    for s in sittings:
        submit_all(fresh_server, s, marks, acks, threading.Event())
        row = api.get_session(s["id"])["interviews"][0]
        assert row["state"] == "scored" and row["result"] == "82.00"
        assert [m["score"] for m in row["marks"]] == ["81.5", "77.0", "90.5", "66.0", "88.0", "79.5", "84.0"]
    api.http.close()


@pytest.mark.slow
def test_twelve_sittings_scoring_at_the_same_moment(server: ServerProcess, api: Api) -> None:
    sittings = [api.sitting(judges=7) for _ in range(12)]
    for s in sittings:
        api.flow(s["interviews"][0]["id"], "start")
    plans = {s["id"]: [str(60 + (i * 7 + k * 3) % 40) for k in range(7)] for i, s in enumerate(sittings)}
    acks: list = []
    barrier = threading.Barrier(12 * 7)
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda s: submit_all(server, s, plans[s["id"]], acks, threading.Event(), barrier), sittings))
    assert len(acks) == 84
    from decimal import ROUND_HALF_UP, Decimal

    for s in sittings:
        row = api.get_session(s["id"])["interviews"][0]
        marks = sorted(Decimal(m) for m in plans[s["id"]])
        expected = (sum(marks[1:-1]) / 5).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert row["state"] == "scored"
        assert row["result"] == str(expected)
