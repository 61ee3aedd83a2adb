"""A campaign in a real Chromium against a real server: posts to the publicity notice, the notice
board on a phone and a big screen, and the records downloaded from the page."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.e2e.conftest import contrast_failures, screenshot
from tests.support import PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

#: The office's registration sheet: five people, three of whom fail one condition each.
SHEET = "\n".join([
    "姓名,身份证号,学历,身份类别,现任层级,上年度考核",
    "赵明远,210502198506150010,本科,公务员,2,称职",          # eligible for A01 (level 3)
    "钱晓燕,210502197909090046,大专,事业编制,1,优秀",        # eligible
    "孙立新,210502196603010010,本科,公务员,1,称职",          # retires before a full term
    "李文静,21050219880808002X,本科,社会人员,0,",            # external: not in an internal batch
    "周海涛,21050219750505003X,本科,参公,1,基本称职",        # barred from the level above
]).encode("utf-8-sig")
BAD_SHEET = "\n".join([
    "姓名,身份证号,学历,身份类别",
    "赵明远,210502198506150010,本科,公务员",
    "钱晓燕,210502197909090047,大专,事业编制",   # check digit
    ",210502196603010010,本科,公务员",             # no name
    "李文静,21050219880808002X,小学,社会人员",    # education
]).encode("utf-8-sig")


#: The Beijing date this module runs on, for the server (``KIOSK_TODAY``) and the browser's clock
#: alike: the batch opens that day and the publicity, on 2026-09-25, crosses National Day, so the
#: expected dates hold whenever the test runs.
TODAY = "2026-09-10"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("kiosk"), env={"KIOSK_TODAY": TODAY})
    process.start()
    yield process
    process.stop()


@pytest.fixture
def context_factory(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []
    errors: list[str] = []

    def make(width: int, height: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        # 10:00 in Beijing on TODAY: the page's default dates are the server's today.
        page.clock.set_fixed_time(f"{TODAY}T02:00:00Z")
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors


def campaign_api_present(api: Api) -> bool:
    return api.call("GET", "/api/campaigns").status_code == 200


def log_in(page: Any, server: ServerProcess) -> None:
    page.goto(f"{server.url}/console")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.locator(".topbar")).to_be_visible()


def tab(page: Any, name: str) -> Any:
    page.get_by_role("tab", name=name).click()
    return page.locator(".tab:not([hidden])")


def pdf_text(body: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "record.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_campaign_from_posts_to_the_publicity_notice(
    context_factory: Any, server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    if not campaign_api_present(api):
        pytest.skip("the campaign API is not mounted on this server")
    page = context_factory(1366, 768)
    log_in(page, server)
    page.get_by_role("link", name="竞聘工作").click()
    expect(page).to_have_url(f"{server.url}/console/campaigns")

    # A campaign: the plan published today, one term of 2 years.
    page.get_by_role("button", name="新建竞聘工作").first.click()
    dialog = page.locator("#campaign-dialog")
    dialog.get_by_label("名称").fill("开发区竞聘上岗（浏览器测试）")
    dialog.get_by_role("button", name="创建").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#campaign-title")).to_have_text("开发区竞聘上岗（浏览器测试）")
    cid = next(c["id"] for c in api.call("GET", "/api/campaigns", 200).json()["campaigns"]
               if c["title"] == "开发区竞聘上岗（浏览器测试）")

    # Two posts, then the first batch (internal, applications open today) offering both.
    panel = tab(page, "岗位与批次")
    form = panel.locator("#post-form")
    for code, unit, name, level, openings, ratio in (("A01", "党政办公室", "副主任", "3", "1", "2"),
                                                      ("B01", "投资促进局", "工作人员", "1", "2", "1.5")):
        form.get_by_label("岗位代码").fill(code)
        form.get_by_label("单位").fill(unit)
        form.get_by_label("岗位名称").fill(name)
        form.get_by_label("层级").fill(level)
        form.get_by_label("职数").fill(openings)
        form.get_by_label("差额比例").fill(ratio)
        form.get_by_role("button", name="添加岗位").click()
        expect(panel.locator("#posts-table")).to_contain_text(unit)
    # A post code already used is refused, the reason shown by the form.
    form.get_by_label("岗位代码").fill("A01")
    form.get_by_label("单位").fill("党政办公室")
    form.get_by_label("岗位名称").fill("重复")
    form.get_by_role("button", name="添加岗位").click()
    expect(form.locator(".error")).not_to_be_empty()
    batch_form = panel.locator("#batch-form")
    batch_form.get_by_label("批次名称").fill("第一批次")
    batch_form.get_by_role("button", name="创建批次").click()
    expect(panel.locator("#batches-list")).to_contain_text("第一批次")
    expect(page.locator("#batch-select")).to_contain_text("第一批次")
    screenshot(page, "campaign-posts-1366x768")
    bid = api.call("GET", f"/api/campaigns/{cid}", 200).json()["batches"][0]["id"]

    # The registration sheet: a wrong one is refused whole, each bad line named.
    panel = tab(page, "报名")
    upload = panel.locator("#import-form input[type=file]")
    upload.set_input_files({"name": "报名表.csv", "mimeType": "text/csv", "buffer": BAD_SHEET})
    panel.get_by_role("button", name="导入报名表").click()
    result = panel.locator("#import-result")
    for line in ("第 3 行", "第 4 行", "第 5 行"):
        expect(result).to_contain_text(line)
    expect(result).not_to_contain_text("第 2 行")
    assert api.call("GET", f"/api/campaigns/{cid}/applicants", 200).json()["applicants"] == []
    upload.set_input_files({"name": "报名表.csv", "mimeType": "text/csv", "buffer": SHEET})
    panel.get_by_role("button", name="导入报名表").click()
    expect(result).to_contain_text("已导入 5 名报名人员")
    expect(panel.locator("#applicants-table tbody tr")).to_have_count(5)
    # Lists show masked ID numbers only.
    expect(panel.locator("#applicants-table")).to_contain_text("2105**********0010")
    expect(panel.locator("#applicants-table")).not_to_contain_text("210502198506150010")

    # One more by hand, who then applies for B01 through the page.
    hand = panel.locator("#applicant-form")
    hand.get_by_label("姓名").fill("吴丽华")
    hand.get_by_label("身份证号").fill("210502199002020049")
    hand.locator("select[name=sex]").select_option("F")
    hand.get_by_label("出生日期").fill("1990-02-02")
    hand.locator("select[name=education]").select_option("master")
    hand.locator("select[name=appraisal]").select_option("excellent")
    hand.get_by_role("button", name="登记").click()
    expect(panel.locator("#applicants-table tbody tr")).to_have_count(6)
    row = panel.locator("#applicants-table tbody tr", has_text="吴丽华")
    row.get_by_role("button", name="报名岗位").click()
    apply_dialog = page.locator("#apply-dialog")
    apply_dialog.get_by_label("岗位").select_option("B01")
    apply_dialog.get_by_role("button", name="报名").click()
    expect(apply_dialog).to_be_hidden()
    expect(row).to_contain_text("B01")
    # A change of post (改报) keeps the application, audited; then back again.
    for old, new in (("B01", "A01"), ("A01", "B01")):
        row.get_by_role("button", name=f"改报 {old}").click()
        apply_dialog.get_by_label("岗位").select_option(new)
        apply_dialog.get_by_role("button", name="改报").click()
        expect(apply_dialog).to_be_hidden()
        expect(row.get_by_role("button", name=f"改报 {new}")).to_be_visible()

    # The others apply through the API (the page shows the live counts).
    people = {a["name"]: a["id"] for a in api.call("GET", f"/api/campaigns/{cid}/applicants", 200).json()["applicants"]}
    for name, code in (("赵明远", "A01"), ("钱晓燕", "A01"), ("钱晓燕", "B01"), ("孙立新", "A01"),
                       ("李文静", "B01"), ("周海涛", "A01")):
        api.call("POST", f"/api/batches/{bid}/applications", 201,
                 json={"applicant_id": people[name], "post_code": code})
    page.reload()
    panel = tab(page, "报名")
    expect(panel.locator("#counts")).to_contain_text("4 人报名")  # A01
    expect(panel.locator("#counts")).to_contain_text("3 人报名")  # B01
    screenshot(page, "campaign-applicants-1366x768")
    assert not contrast_failures(page), contrast_failures(page)

    # The review queue: each failing check says why.
    panel = tab(page, "资格审查")
    queue = panel.locator("#review-table")
    expect(queue.locator("tbody tr")).to_have_count(7)
    expect(queue.locator("tr", has_text="孙立新")).to_contain_text("距法定退休年龄不足一个聘期")
    expect(queue.locator("tr", has_text="李文静")).to_contain_text("不在本批次人员范围内")
    expect(queue.locator("tr", has_text="周海涛")).to_contain_text("不得竞聘上一层级岗位")
    expect(queue.locator("tr", has_text="赵明远")).to_contain_text("符合")

    review = page.locator("#review-dialog")

    def decide(name: str, decision: str, reason: str = "", code: str | None = None) -> None:
        row = queue.locator("tbody tr", has_text=name)
        if code:
            row = row.filter(has_text=code)
        row.get_by_role("button", name="审查").click()
        review.get_by_label("通过" if decision == "approved" else "不通过", exact=True).check()
        review.get_by_label("理由").fill(reason)
        review.get_by_role("button", name="保存审查结论").click()

    # Approving an ineligible application without a reason is refused, with the API's reason shown.
    decide("李文静", "approved")
    expect(review.locator(".error")).not_to_be_empty()
    review.get_by_role("button", name="取消").click()
    decide("孙立新", "rejected", "距法定退休年龄不足两年")
    expect(review).to_be_hidden()
    expect(queue.locator("tr", has_text="孙立新")).to_contain_text("审查未通过")
    decide("赵明远", "approved")
    expect(review).to_be_hidden()
    expect(queue.locator("tr", has_text="赵明远")).to_contain_text("审查通过")
    screenshot(page, "campaign-review-1366x768")
    assert not contrast_failures(page), contrast_failures(page)
    apps = api.call("GET", f"/api/batches/{bid}/applications", 200).json()["applications"]
    for app in apps:
        if app["status"] == "submitted" and app["eligible"]:
            api.call("POST", f"/api/applications/{app['id']}/review", 200, json={"decision": "approved"})
    decided = {(a["name"], a["post_code"]): a["status"] for a in
               api.call("GET", f"/api/batches/{bid}/applications", 200).json()["applications"]}
    assert decided[("孙立新", "A01")] == "rejected" and decided[("赵明远", "A01")] == "approved"

    panel = tab(page, "面试与排名")
    expect(panel.locator("#ranking")).to_be_visible()

    # The publicity notice: 2026-09-25 (before National Day) ends on 2026-10-09, computed.
    panel = tab(page, "公示")
    form = panel.locator("#publicity-form")
    # Applications and changes ran until TODAY: the form offers the day after, and a day inside
    # the window is refused with the reason.
    expect(form.get_by_label("公示日期")).to_have_value("2026-09-11")
    form.get_by_label("公示日期").fill(TODAY)
    form.get_by_role("button", name="发布公示").click()
    form.get_by_role("button", name="确认发布").click()
    expect(form.locator(".error")).to_contain_text("截止")
    assert api.call("GET", f"/api/batches/{bid}/publicity").status_code == 404
    screenshot(page, "campaign-publicity-refused-1366x768")
    form.get_by_label("公示日期").fill("2026-09-25")
    form.get_by_role("button", name="发布公示").click()
    # Published once per batch: the first click says who is on it (nobody yet) and asks again.
    expect(form.locator("#publicity-confirm")).to_contain_text("公示中没有人员")
    assert api.call("GET", f"/api/batches/{bid}/publicity").status_code == 404
    screenshot(page, "campaign-publicity-confirm-1366x768")
    form.get_by_role("button", name="确认发布").click()
    expect(panel.locator("#ends-on")).to_have_text("2026-10-09")
    expect(form).to_be_hidden()
    screenshot(page, "campaign-publicity-1366x768")

    # The same page on a big screen.
    wide = context_factory(1920, 1080)
    log_in(wide, server)
    wide.goto(f"{server.url}/console/campaigns#c={cid}")
    tab(wide, "资格审查")
    expect(wide.locator("#review-table tbody tr")).to_have_count(7)
    screenshot(wide, "campaign-review-1920x1080")
    assert not contrast_failures(wide), contrast_failures(wide)

    # Records: downloaded from the page, read back.
    panel = tab(page, "公告栏与记录")
    audit = api.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200).text.strip().splitlines()
    head = json.loads(audit[-1])["hash"]
    with page.expect_download() as caught:
        panel.locator("#records tr", has_text="资格审查结果").get_by_role("link", name="PDF").click()
    text = pdf_text(Path(caught.value.path()).read_bytes(), tmp_path)
    assert "资格审查结果" in text and head in text
    assert "2105**********0010" in text and "210502198506150010" not in text
    with page.expect_download() as caught:
        panel.locator("#records tr", has_text="报名人数统计").get_by_role("link", name="XLSX").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    a01 = next(r for r in rows if r[0] == "A01")
    assert a01[3] == 4 and a01[4] == 2 and a01[5] == 1  # applicants, approved, rejected

    # The notice board: the link from the page, read-only, on a phone and a big screen.
    board_url = panel.locator("#board-url").get_attribute("href")
    assert board_url and "/board/" in board_url
    phone = context_factory(360, 640)
    phone.goto(board_url)
    board = phone.locator("#board")
    expect(board.locator(".batch")).to_have_count(1)
    expect(board).to_contain_text("报名中")
    expect(board.locator(".count[data-code='A01']")).to_have_text("4")
    expect(board).to_contain_text("2026-10-09")
    expect(board).to_contain_text("赵明远")
    expect(board).to_contain_text("2105**********0010")
    content = board.inner_text()
    for secret in ("210502198506150010", "1985-06-15", "距法定退休年龄不足两年", "孙立新"):
        assert secret not in content, secret
    screenshot(phone, "campaign-board-360x640")
    assert not contrast_failures(phone), contrast_failures(phone)
    screen = context_factory(1920, 1080)
    screen.goto(board_url)
    expect(screen.locator("#board .batch")).to_have_count(1)
    screenshot(screen, "campaign-board-1920x1080")

    # The count follows a new application without a reload (the board polls).
    api.call("POST", f"/api/batches/{bid}/applications", 201,
             json={"applicant_id": people["吴丽华"], "post_code": "A01"})
    expect(screen.locator(".count[data-code='A01']")).to_have_text("5", timeout=15_000)

    # A withdrawal from the page (asked first) takes it off the count again.
    page.reload()
    panel = tab(page, "报名")
    row = panel.locator("#applicants-table tbody tr", has_text="吴丽华")
    row.get_by_role("button", name="撤回 A01").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("确定撤回这项报名吗")
    confirm.get_by_role("button", name="撤回").click()
    expect(confirm).to_be_hidden()
    expect(row.get_by_role("button", name="改报 A01")).to_have_count(0)
    expect(screen.locator(".count[data-code='A01']")).to_have_text("4", timeout=15_000)


def test_a_wrong_board_link_says_so(context_factory: Any, server: ServerProcess) -> None:
    page = context_factory(360, 640)
    page.goto(f"{server.url}/board/not-a-real-token-0123456789")
    expect(page.locator("#board-invalid")).to_be_visible()


def test_the_campaign_page_needs_the_login(context_factory: Any, server: ServerProcess) -> None:
    page = context_factory(1366, 768)
    page.goto(f"{server.url}/console/campaigns")
    expect(page).to_have_url(f"{server.url}/console")


#: The walk's people: (name, ID number, birth date, sex, post, the five judges' marks).
WALK = [
    ("赵明远", "210502198506150010", "1985-06-15", "M", "A01", ["90", "91", "92", "93", "94"]),
    ("钱晓燕", "210502197909090046", "1979-09-09", "F", "A01", ["80", "81", "82", "83", "84"]),
    ("周海涛", "21050219750505003X", "1975-05-05", "M", "A01", ["55", "56", "57", "58", "59"]),
    ("吴丽华", "210502199002020049", "1990-02-02", "F", "B01", ["85", "86", "87", "88", "89"]),
    ("李文静", "21050219880808002X", "1988-08-08", "F", "B01", ["70", "71", "72", "73", "74"]),
]


def test_a_campaign_walked_for_real(
    context_factory: Any, server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    """Posts, a batch, applicants and applications (API), the review and the sitting with the
    server's draw (page), the interviews scored by five judges' sockets and announced (API),
    the batch ranking with its shortlist, the outcomes and the publicity notice (page), and the
    notice board with the scores and the notice."""
    if not campaign_api_present(api):
        pytest.skip("the campaign API is not mounted on this server")
    from tests.support import judge

    today = TODAY
    title = "开发区竞聘上岗（全流程）"
    cid = api.call("POST", "/api/campaigns", 201, json={"title": title, "announced_on": today}).json()["id"]
    for code, unit, name in (("A01", "党政办公室", "副主任"), ("B01", "投资促进局", "副科长")):
        api.call("POST", f"/api/campaigns/{cid}/posts", 201, json={
            "code": code, "name": name, "unit": unit, "level": 2, "openings": 1, "shortlist_ratio": "2"})
    bid = api.call("POST", f"/api/campaigns/{cid}/batches", 201, json={
        "name": "第一批次", "scope": "internal", "apply_from": today, "apply_until": today,
        "change_until": today, "posts": ["A01", "B01"]}).json()["id"]
    apps: dict[str, int] = {}
    for name, number, birth, sex, code, _ in WALK:
        person = api.call("POST", f"/api/campaigns/{cid}/applicants", 201, json={
            "name": name, "id_number": number, "sex": sex, "birth_date": birth, "education": "bachelor",
            "employment": "civil_servant", "current_level": 2, "appraisal": "competent"}).json()
        apps[name] = api.call("POST", f"/api/batches/{bid}/applications", 201,
                              json={"applicant_id": person["id"], "post_code": code}).json()["id"]

    # The review: one in the page, the rest through the API.
    page = context_factory(1366, 768)
    log_in(page, server)
    page.goto(f"{server.url}/console/campaigns#c={cid}")
    panel = tab(page, "资格审查")
    queue = panel.locator("#review-table")
    expect(queue.locator("tbody tr")).to_have_count(5)
    queue.locator("tbody tr", has_text="赵明远").get_by_role("button", name="审查").click()
    review = page.locator("#review-dialog")
    review.get_by_label("通过", exact=True).check()
    review.get_by_role("button", name="保存审查结论").click()
    expect(review).to_be_hidden()
    expect(queue.locator("tr", has_text="赵明远")).to_contain_text("审查通过")
    for name, aid in apps.items():
        if name != "赵明远":
            api.call("POST", f"/api/applications/{aid}/review", 200, json={"decision": "approved"})

    # A sitting from the approved applications: the server draws the order.
    page.reload()
    panel = tab(page, "面试与排名")
    expect(panel.locator("#sitting-hint")).to_contain_text("5 名审查通过的报名尚未抽签")
    form = panel.locator("#sitting-form")
    form.get_by_label("场次名称").fill("第一批次面试")
    form.get_by_label("评委人数").fill("5")
    form.get_by_label("最少有效评分").fill("5")
    form.get_by_role("button", name="生成面试场次").click()
    result = panel.locator("#draw-result")
    expect(result).to_be_visible()
    expect(result.locator("table.draw")).to_have_count(2)
    expect(result.locator("table.draw tbody tr")).to_have_count(5)
    expect(panel.locator("#sitting-hint")).to_contain_text("都已抽签")
    screenshot(page, "campaign-draw-1366x768")
    assert not contrast_failures(page), contrast_failures(page)
    # The draw stays on the page after a reload: it is read from the applications' numbers.
    page.reload()
    panel = tab(page, "面试与排名")
    expect(panel.locator("#draw-result table.draw tbody tr")).to_have_count(5)
    expect(panel.locator("#draw-result")).to_contain_text("第一批次面试")
    [sid] = api.call("GET", f"/api/batches/{bid}", 200).json()["sittings"]
    drawn = [e for e in (json.loads(x) for x in api.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200)
                         .text.splitlines()) if e["kind"] == "batch.drawn"]
    assert len(drawn) == 1 and drawn[0]["data"]["session_id"] == sid
    sitting = api.get_session(sid)
    by_post: dict[str, list[dict[str, Any]]] = {}
    for i in sitting["interviews"]:
        by_post.setdefault(i["position_code"], []).append(i)
    assert sorted(i["draw_no"] for i in by_post["A01"]) == [1, 2, 3]
    assert sorted(i["draw_no"] for i in by_post["B01"]) == [1, 2]

    # The interviews, in draw order per post: five judges' sockets, announced, then disputed
    # (no signature pad in this test: the secretary notes why).
    tokens = [j["token"] for j in api.call("GET", f"/api/sessions/{sid}/links", 200).json()["judges"]]
    marks = {name: m for name, *_, m in WALK}
    for code in ("A01", "B01"):
        for i in sorted(by_post[code], key=lambda x: x["draw_no"]):
            api.flow(i["id"], "start")
            for seat, token in enumerate(tokens):
                with judge(server, token) as phone:
                    ack = phone.submit(i["id"], marks[i["candidate_name"]][seat], f"walk-{i['id']}-{seat}")
                    assert ack["type"] == "ack", ack
            api.flow(i["id"], "announce")
            api.flow(i["id"], "dispute", note="浏览器测试：考生未当场签字")

    # The batch ranking with its shortlist, in the page.
    page.reload()
    panel = tab(page, "面试与排名")
    a01 = panel.locator(".rank-post", has_text="A01")
    expect(a01.locator("tbody tr")).to_have_count(3)
    expect(a01.locator("tbody tr").first).to_contain_text("赵明远")
    expect(a01.locator("tbody tr").first).to_contain_text("92.00")
    expect(a01.locator("tr.shortlisted")).to_have_count(2)
    expect(a01.locator("tr", has_text="周海涛")).to_contain_text("未达合格线")
    b01 = panel.locator(".rank-post", has_text="B01")
    expect(b01.locator("tr.shortlisted")).to_have_count(2)
    expect(b01.locator("tbody tr").first).to_contain_text("吴丽华")
    screenshot(page, "campaign-ranking-1366x768")
    assert not contrast_failures(page), contrast_failures(page)
    wide = context_factory(1920, 1080)
    log_in(wide, server)
    wide.goto(f"{server.url}/console/campaigns#c={cid}")
    tab(wide, "面试与排名")
    expect(wide.locator(".rank-post tbody tr")).to_have_count(5)
    screenshot(wide, "campaign-ranking-1920x1080")

    # Outcomes: the inspection, then the decision, for the first of each post.
    panel = tab(page, "考察与决定")
    rows = panel.locator("table.outcomes tbody tr")
    expect(rows).to_have_count(4)  # the shortlists only
    for name in ("赵明远", "吴丽华"):
        row = rows.filter(has_text=name)
        row.get_by_role("button", name="考察通过").click()
        expect(page.locator("#toast")).to_contain_text("已记录")
        page.wait_for_function(
            "([url]) => fetch(url).then((r) => r.json()).then((a) => a.inspection === 'pass')",
            arg=[f"/api/applications/{apps[name]}"])
        row = panel.locator("table.outcomes tbody tr").filter(has_text=name)
        row.get_by_role("button", name="拟聘用").click()
        page.wait_for_function(
            "([url]) => fetch(url).then((r) => r.json()).then((a) => a.decision === 'appointed')",
            arg=[f"/api/applications/{apps[name]}"])
    page.reload()
    panel = tab(page, "考察与决定")
    screenshot(page, "campaign-outcomes-1366x768")
    assert not contrast_failures(page), contrast_failures(page)

    # The publicity notice: 2026-09-25 (before National Day) ends on 2026-10-09, computed.
    panel = tab(page, "公示")
    form = panel.locator("#publicity-form")
    form.get_by_label("公示日期").fill("2026-09-25")
    form.get_by_role("button", name="发布公示").click()
    expect(form.locator("#publicity-confirm")).to_contain_text("将公示 2 名拟聘用人员")
    form.get_by_role("button", name="确认发布").click()
    expect(panel.locator("#ends-on")).to_have_text("2026-10-09")
    expect(panel).to_contain_text("赵明远")
    expect(panel).to_contain_text("吴丽华")
    screenshot(page, "campaign-walk-publicity-1366x768")
    notice = api.call("GET", f"/api/batches/{bid}/publicity", 200).json()
    assert {a["name"] for a in notice["appointees"]} == {"赵明远", "吴丽华"}

    # The notice board: the scores per post, the inspection list and the notice.
    panel = tab(page, "公告栏与记录")
    board_url = panel.locator("#board-url").get_attribute("href")
    assert board_url and "/board/" in board_url
    for width, height in ((360, 640), (1366, 768), (1920, 1080)):
        view = context_factory(width, height)
        view.goto(board_url)
        board = view.locator("#board")
        expect(board).to_contain_text("92.00")
        expect(board).to_contain_text("87.00")
        expect(board).to_contain_text("2026-10-09")
        content = board.inner_text()
        for secret in ("210502198506150010", "1985-06-15", "未签字"):
            assert secret not in content, secret
        screenshot(view, f"campaign-walk-board-{width}x{height}")
        assert not contrast_failures(view), contrast_failures(view)
