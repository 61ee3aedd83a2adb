"""The campaign's pages: the secretary's campaign console, the public notice board, the records.

``mount(app)`` adds:

- ``GET /console/campaigns`` — the secretary's page for a campaign (竞聘工作): posts and batches,
  applicants, the qualification review, the ranking, outcomes and the publicity notice;
- ``GET /board/{token}`` — the public notice board (公告栏), a read-only shell that polls
  ``GET /api/board/{token}`` (served by the campaign API);
- ``GET /api/campaigns/{cid}/records/{name}.xlsx|.pdf`` — 报名人数统计 (``counts``), 资格审查结果
  (``review``), 成绩汇总 (``scores``), 考察对象名单 (``inspection``), 拟聘用人员公示
  (``publicity``), optionally ``?batch=ID`` for one batch;
- ``POST /api/campaigns/{cid}/applicants/import`` — the office's registration spreadsheet
  (XLSX/CSV), every bad line named, all or nothing;
- ``GET /api/applicant-template.csv|.xlsx``.

The records and the import read and write through the campaign API itself: this module only
knows its JSON (DESIGN.md section 5), never its tables.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.api import i18n
from server.api.console import (
    MAX_ROSTER_BYTES,
    MAX_ROSTER_ROWS,
    TEMPLATES_DIR,
    TRANSLATIONS_DIR,
    XLSX_MIME,
    RosterInvalid,
    _bad_file,
    _logged_in,
    read_rows,
)
from server.api.deps import CurrentSecretary, KioskDep, SettingsDep
from server.errors import KioskError, NotFound
from server.exports.campaign_record import (
    RECORDS,
    BatchData,
    CampaignData,
    build,
    filename,
    head_of,
)
from server.exports.record import content_disposition
from server.store.models import MAX_ID

_templates = i18n.templates(TEMPLATES_DIR, TRANSLATIONS_DIR)
router = APIRouter(prefix="/api", dependencies=[CurrentSecretary], tags=["campaign records"])
pages = APIRouter()

CampaignId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="The campaign's id")]
RecordName = Annotated[str, PathParam(pattern="^(" + "|".join(RECORDS) + ")$")]

# --- the campaign, read and written through its own module ---------------------------------


def _campaign_api() -> Any:
    """``server.campaign.routes`` (the campaign API), imported when first needed."""
    from server.campaign import routes

    return routes


async def load_campaign(request: Request, cid: int, batch_id: int | None = None) -> CampaignData:
    """Everything the records print, as the campaign API's own JSON, read in one state."""
    api = _campaign_api()
    campaigns = api.campaigns(request)
    row, s = await campaigns.read(api.by_campaign(cid))
    lines = await campaigns.lines(cid)
    campaign = api.campaign_json(request, row, s)
    batches = []
    for b in sorted(s.batches.values(), key=lambda b: b.id):
        if batch_id is not None and b.id != batch_id:
            continue
        batches.append(
            BatchData(
                batch=api.batch_json(s, b),
                counts={"posts": api.counts_json(s, b)},
                applications=[
                    api.application_json(s, x)
                    for x in sorted(s.applications.values(), key=lambda x: x.id)
                    if x.batch_id == b.id
                ],
                ranking=api.ranking_json(s, b),
                publicity=api.batch_json(s, b).get("publicity"),
            )
        )
    if batch_id is not None and not batches:
        raise NotFound(
            f"本竞聘工作没有批次 {batch_id}。", f"This campaign has no batch {batch_id}."
        )
    applicants = [
        api.applicant_json(s, a) for a in sorted(s.applicants.values(), key=lambda a: a.id)
    ]
    seq, head = head_of(lines)
    return CampaignData(
        campaign=campaign,
        posts=campaign["posts"],
        batches=batches,
        applicants=applicants,
        head_seq=seq,
        head_hash=head,
    )


@router.get("/campaigns/{cid}/records/{name}.xlsx")
async def record_xlsx(
    cid: CampaignId,
    name: RecordName,
    request: Request,
    batch: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """One of the campaign's records as a workbook."""
    from server.exports import campaign_xlsx

    record = build(name, await load_campaign(request, cid, batch))
    body = await asyncio.to_thread(campaign_xlsx.render, record)
    real, fallback = filename(record, "xlsx")
    return Response(
        body,
        media_type=XLSX_MIME,
        headers={"Content-Disposition": content_disposition(real, fallback)},
    )


@router.get("/campaigns/{cid}/records/{name}.pdf")
async def record_pdf(
    cid: CampaignId,
    name: RecordName,
    request: Request,
    batch: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """One of the campaign's records as a PDF with the campaign chain's head hash and its QR code."""
    from server.exports import campaign_pdf

    record = build(name, await load_campaign(request, cid, batch))
    body, missing = await asyncio.to_thread(campaign_pdf.render_report, record)
    real, fallback = filename(record, "pdf")
    headers = {"Content-Disposition": content_disposition(real, fallback)}
    if missing:
        headers["X-Kiosk-Missing-Glyphs"] = " ".join(f"U+{ord(c):04X}" for c in missing)
    return Response(body, media_type="application/pdf", headers=headers)


# --- the registration spreadsheet -----------------------------------------------------------


#: Accepted header names per applicant field (trimmed, case-insensitive); the first is the template's.
APPLICANT_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number", "id number"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "出生年月日", "birth_date", "birth date"),
    "retirement_base": ("法定退休年龄", "原法定退休年龄", "retirement_base"),
    "education": ("学历", "最高学历", "education"),
    "employment": ("身份类别", "人员身份", "编制类别", "employment"),
    "current_level": ("现任层级", "现岗位层级", "current_level"),
    "appraisal": ("上年度考核", "上年度考核结果", "年度考核", "appraisal"),
    "under_investigation": ("正在接受审查调查", "审查调查", "under_investigation"),
    "discipline_until": ("处分期至", "处分期截止", "discipline_until"),
    "leadership": ("领导班子成员", "leadership"),
}
REQUIRED = ("name", "id_number", "education", "employment")

SEX = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
EDUCATION = {
    "博士": "doctorate",
    "博士研究生": "doctorate",
    "doctorate": "doctorate",
    "硕士": "master",
    "硕士研究生": "master",
    "研究生": "master",
    "master": "master",
    "本科": "bachelor",
    "大学本科": "bachelor",
    "大学": "bachelor",
    "bachelor": "bachelor",
    "大专": "college",
    "专科": "college",
    "大学专科": "college",
    "college": "college",
    "中专": "secondary",
    "高中": "secondary",
    "中专及以下": "secondary",
    "secondary": "secondary",
    "初中": "none",
    "无": "none",
    "其他": "none",
    "none": "none",
}
EMPLOYMENT = {
    "公务员": "civil_servant",
    "civil_servant": "civil_servant",
    "参公": "quasi_civil_servant",
    "参公人员": "quasi_civil_servant",
    "参照公务员法管理": "quasi_civil_servant",
    "quasi_civil_servant": "quasi_civil_servant",
    "事业编制": "institution",
    "事业": "institution",
    "事业编": "institution",
    "institution": "institution",
    "机关工勤": "worker",
    "工勤": "worker",
    "工勤人员": "worker",
    "worker": "worker",
    "社会人员": "external",
    "编外": "external",
    "编外人员": "external",
    "external": "external",
}
APPRAISAL = {
    "优秀": "excellent",
    "excellent": "excellent",
    "称职": "competent",
    "合格": "competent",
    "competent": "competent",
    "基本称职": "basically_competent",
    "基本合格": "basically_competent",
    "basically_competent": "basically_competent",
    "不称职": "incompetent",
    "不合格": "incompetent",
    "incompetent": "incompetent",
    "": None,
    "无": None,
    "未考核": None,
    "未参加考核": None,
}
YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"", "否", "无", "n", "no", "false", "0"}

TEMPLATE = [
    (
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "法定退休年龄",
        "学历",
        "身份类别",
        "现任层级",
        "上年度考核",
        "正在接受审查调查",
        "处分期至",
        "领导班子成员",
    ),
    (
        "张三",
        "210502198506150010",
        "男",
        "1985-06-15",
        "60",
        "本科",
        "公务员",
        "1",
        "称职",
        "否",
        "",
        "否",
    ),
    (
        "李四",
        "210502197909090046",
        "女",
        "1979-09-09",
        "55",
        "大专",
        "事业编制",
        "3",
        "优秀",
        "否",
        "",
        "否",
    ),
]

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


class RegistrationInvalid(RosterInvalid):
    """The registration sheet has bad lines (the console's handler lists them): nothing imported."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(problems)
        self.message = f"报名表有 {len(problems)} 处错误，未导入任何一行。请改正后重新导入。"
        self.message_en = f"The registration sheet has {len(problems)} error(s); nothing was imported. Fix them and import again."


@dataclass
class ApplicantRow:
    line: int
    body: dict[str, Any]


def _date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _choice(text: str, table: dict[str, Any]) -> tuple[bool, Any]:
    key = text.strip().lower()
    return (key in table, table.get(key))


def parse_applicants(rows: list[tuple[int, list[str]]], known_ids: set[str]) -> list[ApplicantRow]:
    """Every row of the registration sheet as an applicant body, or raise naming each bad line."""
    from server.campaign import rules

    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise _bad_file("文件中没有内容。", "The file has no rows.")
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    for index, heading in enumerate(header):
        name = heading.strip().lstrip("\ufeff").lower()
        for key, aliases in APPLICANT_HEADERS.items():
            if name in aliases and key not in columns:
                columns[key] = index
    missing = [APPLICANT_HEADERS[k][0] for k in REQUIRED if k not in columns]
    if missing:
        raise _bad_file(
            f"第 {header_line} 行应为表头，缺少列：{'、'.join(missing)}。请使用报名表模板。",
            f"Line {header_line} should be the header; missing column(s): {', '.join(missing)}. "
            "Use the registration template.",
        )
    body_rows = rows[1:]
    if not body_rows:
        raise _bad_file("报名表中没有人员。", "The sheet lists nobody.")
    if len(body_rows) > MAX_ROSTER_ROWS:
        raise _bad_file(
            f"一次最多导入 {MAX_ROSTER_ROWS} 人。", f"At most {MAX_ROSTER_ROWS} people at a time."
        )

    problems: list[tuple[int, str, str]] = []
    good: list[ApplicantRow] = []
    seen: dict[str, int] = {}
    for line, cells in body_rows:

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        errors: list[tuple[str, str]] = []
        body: dict[str, Any] = {}
        name = cell("name")
        if not name:
            errors.append(("缺少姓名", "the name is missing"))
        elif len(name) > 50 or any(ord(c) < 32 for c in name):
            errors.append(
                ("姓名过长或含控制字符", "the name is too long or holds control characters")
            )
        body["name"] = name
        number = rules.normalise_id(cell("id_number")) if cell("id_number") else ""
        id_valid = False
        if not number:
            errors.append(("缺少身份证号", "the ID number is missing"))
        elif len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
            errors.append(("身份证号应为 18 位", "the ID number must have 18 characters"))
        elif rules.check_digit(number[:17]) != number[17]:
            errors.append(("身份证号校验位不正确", "the ID number's check digit is wrong"))
        else:
            id_valid = True
        body["id_number"] = number
        # Sex and birth date may be left blank: they are read from a valid ID number.
        sex_text = cell("sex")
        sex: str | None = None
        if sex_text:
            known, sex = _choice(sex_text, SEX)
            if not known:
                errors.append(
                    (f"性别“{sex_text}”应为 男 或 女", f"sex “{sex_text}” must be 男 or 女")
                )
        elif id_valid:
            sex = "M" if int(number[16]) % 2 else "F"
        elif number:
            errors.append(("缺少性别", "the sex is missing"))
        body["sex"] = sex
        birth_text = cell("birth_date")
        birth: date | None = None
        if birth_text:
            birth = _date(birth_text)
            if birth is None:
                errors.append(
                    (
                        f"出生日期“{birth_text}”应写成 1985-06-15",
                        f"birth date “{birth_text}” must look like 1985-06-15",
                    )
                )
        elif id_valid:
            birth = _date(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
            if birth is None:
                errors.append(
                    (
                        "身份证号中的出生日期无效",
                        "the birth date inside the ID number is not a date",
                    )
                )
        elif number:
            errors.append(("缺少出生日期", "the birth date is missing"))
        body["birth_date"] = birth.isoformat() if birth else None
        if id_valid and birth and sex:
            problem = rules.id_problem(number, birth, sex)
            if problem is not None:
                errors.append((problem.zh.rstrip("。"), problem.en.rstrip(".")))
        base_text = cell("retirement_base")
        if base_text:
            if base_text.removesuffix("岁") not in ("60", "55", "50"):
                errors.append(
                    (
                        f"法定退休年龄“{base_text}”应为 60、55 或 50",
                        f"retirement age “{base_text}” must be 60, 55 or 50",
                    )
                )
            else:
                body["retirement_base"] = int(base_text.removesuffix("岁"))
        for key, table, label in (
            ("education", EDUCATION, ("学历", "education")),
            ("employment", EMPLOYMENT, ("身份类别", "employment")),
        ):
            text = cell(key)
            known, value = _choice(text, table)
            if not text:
                errors.append((f"缺少{label[0]}", f"the {label[1]} is missing"))
            elif not known:
                errors.append(
                    (
                        f"{label[0]}“{text}”无法识别",
                        f"{label[1]} “{text}” is not one the sheet knows",
                    )
                )
            body[key] = value
        level_text = cell("current_level") or "0"
        if (
            not level_text.removesuffix(".0").isdigit()
            or not 0 <= int(level_text.removesuffix(".0")) <= 9
        ):
            errors.append(
                (
                    f"现任层级“{level_text}”应为 0–9 的整数",
                    f"current level “{level_text}” must be a whole number 0–9",
                )
            )
        else:
            body["current_level"] = int(level_text.removesuffix(".0"))
        known, appraisal = _choice(cell("appraisal"), APPRAISAL)
        if not known:
            errors.append(
                (
                    f"上年度考核“{cell('appraisal')}”无法识别",
                    f"appraisal “{cell('appraisal')}” is not recognised",
                )
            )
        body["appraisal"] = appraisal
        for key, label in (
            ("under_investigation", ("正在接受审查调查", "under investigation")),
            ("leadership", ("领导班子成员", "leadership")),
        ):
            text = cell(key).lower()
            if text in YES:
                body[key] = True
            elif text in NO:
                body[key] = False
            else:
                errors.append((f"{label[0]}应填 是 或 否", f"{label[1]} must be 是 or 否"))
        until_text = cell("discipline_until")
        until = _date(until_text) if until_text else None
        if until_text and until is None:
            errors.append(
                (
                    f"处分期至“{until_text}”应写成 2026-06-30",
                    f"discipline until “{until_text}” must look like 2026-06-30",
                )
            )
        body["discipline_until"] = until.isoformat() if until else None
        if number:
            if number in seen:
                errors.append(
                    (
                        f"身份证号与第 {seen[number]} 行重复",
                        f"the ID number repeats line {seen[number]}",
                    )
                )
            elif number in known_ids:
                errors.append(
                    (
                        "该身份证号已在本竞聘工作中登记",
                        "this ID number is already registered in the campaign",
                    )
                )
            else:
                seen[number] = line
        if errors:
            problems.append(
                (line, "；".join(e[0] for e in errors), "; ".join(e[1] for e in errors))
            )
        else:
            good.append(ApplicantRow(line, body))
    if problems:
        raise RegistrationInvalid(problems)
    return good


@router.post("/campaigns/{cid}/applicants/import", status_code=201)
async def import_applicants(
    cid: CampaignId,
    request: Request,
    file: Annotated[
        UploadFile,
        File(description="CSV or XLSX: 姓名, 身份证号, 性别, 出生日期, 学历, 身份类别 …"),
    ],
) -> Any:
    """Import the registration sheet: every line checked, then every applicant in one transaction."""
    raw = await file.read(MAX_ROSTER_BYTES + 1)
    if len(raw) > MAX_ROSTER_BYTES:
        raise _bad_file(
            f"文件太大（最多 {MAX_ROSTER_BYTES // 1000} KB）。",
            "The file is too large (1 MB at most).",
        )
    api = _campaign_api()
    campaigns = api.campaigns(request)
    await campaigns.read(
        api.by_campaign(cid)
    )  # 404 for an unknown campaign before reading the file
    rows = await asyncio.to_thread(read_rows, raw, file.filename or "")
    parsed = parse_applicants(rows, set())
    state = await _add_all(campaigns, cid, parsed)
    created = [
        a for a in state.applicants.values() if a.id_number in {r.body["id_number"] for r in parsed}
    ]
    return {
        "imported": len(parsed),
        "applicants": [api.applicant_json(state, a) for a in sorted(created, key=lambda a: a.id)],
    }


async def _add_all(campaigns: Any, cid: int, parsed: list[ApplicantRow]) -> Any:
    """Decide ``AddApplicant`` for every row on one state and record them in one transaction.

    The campaign's decider checks each (ID number against the birth date and sex, unique in the
    campaign); a row it refuses is named with the others, and nothing is written.
    """
    from server.campaign import decider as cd
    from server.campaign import models as m
    from server.campaign import store

    def work(db: Any) -> Any:
        store.campaign_row(db, cid)
        start, last = campaigns._state(db, cid)
        state = start
        recorded: list[Any] = []
        problems: list[tuple[int, str, str]] = []
        first_id = store.next_id(db, m.Applicant)
        at = store.iso_now()
        for offset, row in enumerate(parsed):
            b = row.body
            command = cd.AddApplicant(
                applicant_id=first_id + offset,
                name=b["name"],
                id_number=b["id_number"],
                sex=b["sex"],
                birth_date=date.fromisoformat(b["birth_date"]),
                education=b["education"],
                employment=b["employment"],
                current_level=b.get("current_level", 0),
                retirement_base=b.get("retirement_base"),
                appraisal=b.get("appraisal"),
                under_investigation=b.get("under_investigation", False),
                discipline_until=date.fromisoformat(b["discipline_until"])
                if b.get("discipline_until")
                else None,
                leadership=b.get("leadership", False),
            )
            try:
                state, events = cd.apply(state, command, at)
            except KioskError as exc:
                problems.append((row.line, exc.text("zh").rstrip("。"), exc.text("en").rstrip(".")))
                continue
            recorded += events
        if problems:
            raise RegistrationInvalid(problems)
        store.append(db, cid, last, recorded)
        store.project(db, start, state)
        return store.Done(state, tuple(recorded))

    done = campaigns._commit(await campaigns.db.write(work))
    return done.state


@router.get("/applicant-template.csv")
async def applicant_template_csv() -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(TEMPLATE)
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition("报名表模板.csv", "applicants-template.csv")
        },
    )


@router.get("/applicant-template.xlsx")
async def applicant_template_xlsx() -> Response:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "报名表"
    for row in TEMPLATE:
        sheet.append(list(row))
    for column in "BDK":
        sheet.column_dimensions[column].width = 22
    for cells in sheet.iter_rows(min_row=2):
        for c in cells:
            c.data_type = "s"  # ID numbers stay text: Excel would round 18 digits
            c.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MIME,
        headers={
            "Content-Disposition": content_disposition(
                "报名表模板.xlsx", "applicants-template.xlsx"
            )
        },
    )


# --- pages ----------------------------------------------------------------------------------

#: Every string campaign.js shows, by its Chinese id; the page gets them translated.
JS_STRINGS = [
    "操作失败",
    "网络错误，请重试。",
    "已登录失效，请重新登录。",
    "内部竞聘",
    "面向社会",
    "待审查",
    "审查通过",
    "审查未通过",
    "已撤回",
    "学历",
    "退休年龄",
    "考核及处分",
    "人员范围",
    "符合",
    "不符合",
    "学历低于大专",
    "距法定退休年龄不足一个聘期",
    "考核、审查调查或处分期内，不得竞聘上一层级岗位",
    "不在本批次人员范围内",
    "还没有岗位。",
    "还没有批次。",
    "还没有报名人员。",
    "本批次还没有报名。",
    "已创建竞聘工作。",
    "已添加岗位 {code}。",
    "已创建批次。",
    "已添加报名人员。",
    "已报名。",
    "已导入 {n} 名报名人员。",
    "报名表有误，未导入任何一行：",
    "第 {line} 行：{message}",
    "请选择要导入的文件。",
    "通过",
    "不通过",
    "已审查。",
    "审查意见",
    "原因",
    "不符合资格条件时，通过审查必须写明理由。",
    "不通过审查时请写明原因。",
    "名次",
    "抽签号",
    "姓名",
    "面试得分",
    "总成绩",
    "初步考察对象",
    "并列",
    "未达合格线",
    "本批次还没有成绩。",
    "考察",
    "考察通过",
    "考察未通过",
    "拟聘用",
    "不予聘用",
    "已记录。",
    "公示期",
    "已发布公示。",
    "拟聘用人员",
    "岗位",
    "职数",
    "报名人数",
    "身份证号",
    "退休日期",
    "审查",
    "操作",
    "报名岗位",
    "选择岗位",
    "改报",
    "撤回",
    "已撤回报名。",
    "已改报。",
    "确定撤回这项报名吗？",
    "场次",
    "已生成面试场次。",
    "复制链接",
    "已复制",
    "报名时间",
    "改报截止",
    "{from} 至 {until}",
    "可改报至 {date}",
    "第 {n} 批",
    "还没有竞聘工作",
    "待考察",
    "研究决定",
    "名额 {n}",
    "{n} 人报名",
    "共 {n} 人",
    "考察结果",
    "说明",
    "级",
    "本人",
    "领导班子成员",
    "无",
    "层级",
    "方案公布日期",
    "聘期",
    "年",
    "合格线",
    "至",
    "博士研究生",
    "硕士研究生",
    "大学本科",
    "大专",
    "中专、高中",
    "其他",
    "报名",
    "发布公示",
    "确认发布",
    "将公示 {n} 名拟聘用人员：{names}。每个批次只能发布一次公示。",
    "本批次还没有确定拟聘用人选：现在发布，公示中没有人员。每个批次只能发布一次公示。",
    "公示中没有拟聘用人员。",
    "抽签结果",
    "为新通过的 {n} 人抽签",
    "已抽签 {n} 人。",
    "{n} 名审查通过的报名尚未抽签：生成场次时由服务器随机抽签。",
    "审查通过的报名都已抽签。",
]

BOARD_STRINGS = [
    "公告栏",
    "竞聘岗位",
    "岗位",
    "职数",
    "报名人数",
    "报名中",
    "报名已截止",
    "资格审查通过人员",
    "姓名",
    "身份证号",
    "面试成绩",
    "名次",
    "总成绩",
    "考察对象",
    "拟聘用人员公示",
    "公示期",
    "{from} 至 {until}",
    "公示期间如有异议，请向领导小组办公室反映。",
    "每 10 秒自动更新",
    "更新于 {time}",
    "连接中断，正在重试…",
    "该公告链接无效或已停用。",
    "暂无",
    "报名时间 {from} 至 {until}",
    "可改报至 {date}",
    "初步考察对象",
    "{n} 人",
    "内部竞聘",
    "面向社会",
    "抽签号",
    "面试得分",
]
# Texts of board.html itself (translated by the template): "本页二维码", "手机扫码查看".


def _strings(request: Request, ids: list[str]) -> dict[str, str]:
    gettext = i18n.gettext_for(request, TRANSLATIONS_DIR)
    return {s: gettext(s) for s in ids}


def _config_json(config: dict[str, Any]) -> str:
    return json.dumps(config, ensure_ascii=False).replace("</", "<\\/")


def _sittings_of_batches() -> bool:
    """Whether ``POST /api/sessions`` takes a ``batch_id`` (a sitting of a campaign's batch)."""
    from server.api.schemas import InterviewIn, SessionIn

    return "batch_id" in SessionIn.model_fields and "application_id" in InterviewIn.model_fields


@pages.get("/console/campaigns", response_class=HTMLResponse, include_in_schema=False)
async def campaign_page(request: Request, kiosk: KioskDep, settings: SettingsDep) -> Response:
    if not await _logged_in(request, kiosk, settings):
        return RedirectResponse("/console", status_code=303)
    config = {
        "strings": _strings(request, JS_STRINGS),
        "lang": i18n.negotiate(request),
        "routes": {},
        "features": {"sittings": _sittings_of_batches()},
    }
    return i18n.render(
        _templates, request, "campaign.html", TRANSLATIONS_DIR, config_json=_config_json(config)
    )


@pages.get("/board/{token}", response_class=HTMLResponse, include_in_schema=False)
async def board_page(
    request: Request, token: Annotated[str, PathParam(max_length=200)]
) -> Response:
    # The shell only: the board's JS reads /api/board/{token}, which says whether the link is good.
    config = {
        "strings": _strings(request, BOARD_STRINGS),
        "lang": i18n.negotiate(request),
        "token": token,
        "poll": 10,
    }
    response = i18n.render(
        _templates, request, "board.html", TRANSLATIONS_DIR, config_json=_config_json(config)
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@pages.get("/board/{token}/qr.svg", include_in_schema=False)
async def board_qr(request: Request, token: Annotated[str, PathParam(max_length=200)]) -> Response:
    """The board's own link as a QR code, for the office's screen (people follow it on a phone)."""
    from server.api.console import qr_svg

    api = _campaign_api()
    from server.campaign import store

    await api.campaigns(request).read(lambda db: store.campaign_by_token(db, token).id or 0)
    settings = request.app.state.settings
    base = (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")
    response = Response(qr_svg(f"{base}/board/{token}"), media_type="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def mount(app: FastAPI) -> None:
    """Add the campaign's pages, records and import to ``app`` (the console's static files serve the JS)."""
    app.include_router(router)
    app.include_router(pages)


# --- the demo -------------------------------------------------------------------------------

DEMO_POSTS = [
    ("A01", "党政办公室", "副主任", 3, 1, "2"),
    ("B01", "投资促进局", "副局长", 3, 1, "2"),
    ("C01", "经济发展服务局", "工作人员", 1, 2, "1.5"),
]
#: (name, ID number, education, employment, current level, appraisal, posts): three fail a check.
DEMO_PEOPLE = [
    ("赵明远", "210502198506150010", "bachelor", "civil_servant", 2, "excellent", ("A01",)),
    ("钱晓燕", "210502197909090046", "college", "institution", 1, "competent", ("A01", "C01")),
    ("孙立新", "210502196603010010", "bachelor", "civil_servant", 1, "competent", ("B01",)),
    ("李文静", "21050219880808002X", "bachelor", "external", 0, None, ("C01",)),
    (
        "周海涛",
        "21050219750505003X",
        "bachelor",
        "quasi_civil_servant",
        1,
        "basically_competent",
        ("B01",),
    ),
    ("吴丽华", "210502199002020049", "master", "civil_servant", 2, "excellent", ("B01", "A01")),
    ("郑国强", "210502198203030011", "bachelor", "worker", 1, "competent", ("C01",)),
]


async def seed_demo_campaign(app: FastAPI) -> dict[str, Any]:
    """Create a small campaign through the campaign's commands: posts, an open internal batch,
    seven applicants who applied (three failing a check), the eligible ones approved and one
    rejected with a reason. Return its id and links (relative to the server's root)."""
    from datetime import timedelta

    from server.campaign import decider as cd
    from server.campaign import models as m
    from server.campaign import rules, store

    campaigns = getattr(app.state, "campaigns", None)
    if campaigns is None:
        campaigns = app.state.campaigns = store.Campaigns(app.state.kiosk.db)
    today = getattr(app.state.settings, "today", None) or rules.beijing_today()
    done = await campaigns.create(
        lambda cid: cd.CreateCampaign(
            cid, "演示 · 开发区竞聘上岗", today - timedelta(days=7), 2, "60"
        )
    )
    cid = done.state.id

    def locate(_db: Any) -> int:
        return cid

    async def run(make: Any) -> Any:
        return await campaigns.run(locate, make)

    for code, unit, name, level, openings, ratio in DEMO_POSTS:
        await run(
            lambda db, s, c=code, u=unit, n=name, lv=level, o=openings, r=ratio: cd.AddPost(
                store.next_id(db, m.CampaignPost), c, n, u, lv, o, r
            )
        )
    done = await run(
        lambda db, s: cd.AddBatch(
            store.next_id(db, m.CampaignBatch),
            "第一批次",
            "internal",
            today - timedelta(days=2),
            today + timedelta(days=5),
            today + timedelta(days=7),
            tuple(p[0] for p in DEMO_POSTS),
        )
    )
    bid = done.recorded[0].data["batch_id"]
    for name, number, education, employment, level, appraisal, posts in DEMO_PEOPLE:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        sex = "M" if int(number[16]) % 2 else "F"
        done = await run(
            lambda db, s, n=name, no=number, e=education, em=employment, lv=level, a=appraisal, b=birth, sx=sex: (
                cd.AddApplicant(
                    applicant_id=store.next_id(db, m.Applicant),
                    name=n,
                    id_number=no,
                    sex=sx,
                    birth_date=b,
                    education=e,
                    employment=em,
                    current_level=lv,
                    appraisal=a,
                )
            )
        )
        pid = done.recorded[0].data["applicant_id"]
        for code in posts:
            done = await run(
                lambda db, s, p=pid, c=code: cd.Apply(
                    store.next_id(db, m.Application), bid, p, c, today
                )
            )
    state = done.state
    for application in sorted(state.applications.values(), key=lambda x: x.id):
        if application.eligible:
            await run(lambda db, s, a=application.id: cd.Review(a, "approved"))
        elif state.applicants[application.applicant_id].name == "孙立新":
            await run(
                lambda db, s, a=application.id: cd.Review(
                    a, "rejected", "距法定退休年龄不足一个聘期（2 年）"
                )
            )
    row, _ = await campaigns.read(locate)
    return {"id": cid, "console": f"console/campaigns#c={cid}", "board": f"board/{row.board_token}"}


async def announce_demo_campaign(app: FastAPI, base: str) -> None:
    """Seed the demo campaign and print its console and notice-board links (``kiosk serve --demo``)."""
    import logging

    try:
        demo = await seed_demo_campaign(app)
    except Exception:
        logging.getLogger("kiosk").warning("the demo campaign could not be made", exc_info=True)
        return
    print(f"演示竞聘工作 / Demo campaign: {base}{demo['console']}", flush=True)
    print(f"公告栏 / Notice board: {base}{demo['board']}", flush=True)
