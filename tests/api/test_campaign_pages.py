"""The campaign's pages, records and registration import against a running server."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.support import Api, ServerProcess

RECORDS = {"counts": "报名人数统计", "review": "资格审查结果", "scores": "成绩汇总",
           "inspection": "考察对象名单", "publicity": "拟聘用人员公示"}


def beijing_today() -> str:
    return (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()


@pytest.fixture(scope="module")
def campaign(api: Api) -> dict[str, Any]:
    if api.call("GET", "/api/campaigns").status_code != 200:
        pytest.skip("the campaign API is not mounted on this server")
    today = beijing_today()
    made = api.call("POST", "/api/campaigns", 201, json={"title": "记录测试", "announced_on": today}).json()
    cid = made["id"]
    api.call("POST", f"/api/campaigns/{cid}/posts", 201,
             json={"code": "A01", "name": "副主任", "unit": "党政办公室", "level": 3, "openings": 1})
    batch = api.call("POST", f"/api/campaigns/{cid}/batches", 201, json={
        "name": "第一批次", "scope": "internal", "apply_from": today, "apply_until": today,
        "change_until": today, "posts": ["A01"]}).json()
    return {"id": cid, "batch": batch["id"], "board_token": made["board_token"]}


def upload(api: Api, cid: int, text: str, name: str = "报名表.csv") -> httpx.Response:
    return api.call("POST", f"/api/campaigns/{cid}/applicants/import",
                    files={"file": (name, text.encode("utf-8-sig"), "text/csv")})


def test_import_is_all_or_nothing_against_the_campaign(api: Api, campaign: dict[str, Any]) -> None:
    cid = campaign["id"]
    first = upload(api, cid, "姓名,身份证号,学历,身份类别,现任层级\n赵明远,210502198506150010,本科,公务员,2\n")
    assert first.status_code == 201, first.text
    assert first.json()["imported"] == 1
    assert first.json()["applicants"][0]["id_masked"] == "2105**********0010"
    # A good new line and one already registered: nothing goes in, the registered one is named.
    again = upload(api, cid, "姓名,身份证号,学历,身份类别\n钱晓燕,210502197909090046,大专,事业编制\n"
                             "赵明远,210502198506150010,本科,公务员\n")
    assert again.status_code == 422, again.text
    assert [e["line"] for e in again.json()["errors"]] == [3]
    names = [a["name"] for a in api.call("GET", f"/api/campaigns/{cid}/applicants", 200).json()["applicants"]]
    assert names == ["赵明远"]
    # The chain recorded one applicant.
    kinds = [json.loads(line)["kind"] for line in
             api.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200).text.splitlines()]
    assert kinds.count("applicant.created") == 1, kinds


def test_an_unknown_campaign_is_404_before_the_file_is_read(api: Api) -> None:
    response = api.call("POST", "/api/campaigns/999999/applicants/import",
                        files={"file": ("x.csv", b"\x00\x01", "text/csv")})
    assert response.status_code == 404


@pytest.mark.parametrize("name", list(RECORDS))
def test_every_record_downloads_with_the_chain_head(
    api: Api, campaign: dict[str, Any], name: str, tmp_path: Path
) -> None:
    cid = campaign["id"]
    head = json.loads(api.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200).text.splitlines()[-1])["hash"]
    xlsx = api.call("GET", f"/api/campaigns/{cid}/records/{name}.xlsx", 200)
    assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    values = [v for row in book.active.iter_rows(values_only=True) for v in row if v is not None]
    assert f"{RECORDS[name]} · 记录测试" in values and head in values
    pdf = api.call("GET", f"/api/campaigns/{cid}/records/{name}.pdf?batch={campaign['batch']}", 200)
    assert pdf.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext"):
        path = tmp_path / "r.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert RECORDS[name] in text and head in text


def test_records_refuse_what_is_not_there(api: Api, campaign: dict[str, Any], server: ServerProcess) -> None:
    cid = campaign["id"]
    assert api.call("GET", f"/api/campaigns/{cid}/records/secrets.pdf").status_code in (404, 422)
    assert api.call("GET", f"/api/campaigns/{cid}/records/counts.pdf?batch=999999").status_code == 404
    assert api.call("GET", "/api/campaigns/999999/records/counts.xlsx").status_code == 404
    assert httpx.get(f"{server.url}/api/campaigns/{cid}/records/counts.xlsx").status_code == 401


def test_the_board_page_is_public_and_never_cached(campaign: dict[str, Any], server: ServerProcess) -> None:
    page = httpx.get(f"{server.url}/board/{campaign['board_token']}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "/console/static/board.js" in page.text
    english = httpx.get(f"{server.url}/board/{campaign['board_token']}?lang=en")
    assert "Notice board" in english.text
    qr = httpx.get(f"{server.url}/board/{campaign['board_token']}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert f"/board/{campaign['board_token']}" in qr.text  # segno writes the URL as the title
    assert httpx.get(f"{server.url}/board/not-a-real-token-0123456789/qr.svg").status_code == 404


def test_the_campaign_page_sends_a_stranger_to_the_login(server: ServerProcess) -> None:
    response = httpx.get(f"{server.url}/console/campaigns", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console"


def test_the_applicant_templates_parse_back(api: Api) -> None:
    from server.api.campaign_pages import parse_applicants
    from server.api.console import read_rows

    for ext in ("csv", "xlsx"):
        body = api.call("GET", f"/api/applicant-template.{ext}", 200).content
        parsed = parse_applicants(read_rows(body, f"t.{ext}"), set())
        assert [p.body["name"] for p in parsed] == ["张三", "李四"]


def test_every_campaign_and_board_text_has_an_english_translation() -> None:
    import re

    from babel.messages.pofile import read_po

    from server.api import campaign_pages, console

    with (console.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        translated = {m.id for m in read_po(fh, locale="en") if m.id and m.string}
    for script, table in (("campaign.js", campaign_pages.JS_STRINGS), ("board.js", campaign_pages.BOARD_STRINGS)):
        text = (console.STATIC_DIR / script).read_text()
        # T("…") literals, and the values of the label tables that T() is given by key.
        literal = set(re.findall(r'T\("([^"]+)"', text))
        labelled = set(re.findall(r':\s*"([\u4e00-\u9fff][^"]*)"', text))
        assert literal <= set(table), (script, literal - set(table))
        assert labelled <= set(table), (script, labelled - set(table))
        assert set(table) - translated == set(), (script, set(table) - translated)
