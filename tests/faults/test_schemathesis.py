"""Schemathesis against the live server's own OpenAPI schema.

Every operation the app publishes is called with generated requests, valid and invalid, signed
in with a bearer token from ``/api/login``: with random path ids and with the ids of a real
sitting (so flow endpoints meet real interviews in every state). Only two checks run: no answer
is a 5xx (DESIGN.md section 4: the server never answers 5xx to anything a client sends), and
every answer whose status the schema documents matches the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support import PASSWORD, Api, ServerProcess, judge

EXAMPLES = 12  # per operation, per mode, per set of path ids: about 1,000 requests in all
CHECKS = [not_a_server_error, response_schema_conformance]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_ids(server: ServerProcess, api: Api) -> Iterator[dict[str, Any]]:
    """A sitting with interviews waiting, interviewing, scored and announced."""
    sitting = api.sitting(judges=3, candidates=4, min_scores=3)
    iids = [i["id"] for i in sitting["interviews"]]
    for n, iid in enumerate(iids[:3]):
        api.flow(iid, "start")
        if n == 2:
            break  # the third stays interviewing
        for j in sitting["judges"]:
            with judge(server, j["token"]) as ws:
                ws.recv()
                assert ws.submit(iid, "80", f"r{iid}")["type"] == "ack"
        if n == 0:
            api.flow(iid, "announce")
    yield {
        "session_id": sitting["id"],
        "interview_id": iids[0],
        "iids": iids,
        "token": sitting["display"]["token"],
    }


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_no_request_gets_a_5xx_or_an_answer_outside_the_schema(
    server: ServerProcess, api: Api, real_ids: dict[str, Any]
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=30)
    # A login of its own: the generated calls include /api/logout, which really ends the token
    # it is sent with; that operation goes last, and the secretary's own client keeps working.
    token = api.call("POST", "/api/login", 200, json={"password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    operations = sorted(_operations(schema), key=lambda op: op.path == "/api/logout")
    assert len(operations) >= 15, [op.label for op in operations]  # the test sees the API
    failures: dict[str, str] = {}
    calls = 0
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        variants: list[dict[str, Any] | None] = [None]
        fixed = {k: v for k, v in real_ids.items() if k in names}
        if fixed:
            variants.append(fixed)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in variants:
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    phases=[Phase.explicit, Phase.generate],  # report the first failure, unshrunk
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def run(case: Any) -> None:
                    nonlocal calls
                    calls += 1
                    case.call_and_validate(base_url=server.url, headers=auth, checks=CHECKS)

                try:
                    run()
                except Unsatisfiable:
                    pass  # nothing of this operation can be made invalid (no parameters, no body)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
                    key = f"{operation.label} [{mode}{' real ids' if path_parameters else ''}]"
                    failures[key] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    assert calls >= 200, calls
    # And the server is still there, answering sanely.
    assert api.get_session(real_ids["session_id"])["id"] == real_ids["session_id"]
    assert "Traceback" not in server.log(), server.log()[-3000:]
