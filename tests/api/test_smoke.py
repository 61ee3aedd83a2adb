from tests.support import Api, ServerProcess, judge


def test_one_interview_from_start_to_signature(server: ServerProcess, api: Api) -> None:
    sitting = api.sitting(judges=5)
    iid = sitting["interviews"][0]["id"]
    assert api.flow(iid, "start")["state"] == "interviewing"
    for j, score in zip(sitting["judges"], ["80", "90.5", "85", 85, 100], strict=True):
        with judge(server, j["token"]) as ws:
            assert ws.recv()["interview"]["id"] == iid
            ack = ws.submit(iid, score, "r1")
            assert ack["type"] == "ack"
    got = api.get_session(sitting["id"])["interviews"][0]
    assert got["state"] == "scored"
    assert got["result"] == "86.83"
    assert [m["dropped"] for m in got["marks"]] == ["low", None, None, None, "high"]
