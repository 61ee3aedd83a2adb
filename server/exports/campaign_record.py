"""The campaign's paper records as plain tables, built from the campaign API's JSON.

Five records (报名人数统计, 资格审查结果, 成绩汇总, 考察对象名单, 拟聘用人员公示), each a title,
a few lines about the campaign and one section per batch (and per post where the plan ranks per
post). :mod:`campaign_xlsx` and :mod:`campaign_pdf` print the same tables, so the workbook and
the PDF never disagree. This module knows nothing of HTTP or the database: it reads the dicts
the API answers with (``CampaignData``) and is tested with hand-written ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Record names as they appear in URLs, with their Chinese titles, in the plan's order.
RECORDS: dict[str, str] = {
    "counts": "报名人数统计",
    "review": "资格审查结果",
    "scores": "成绩汇总",
    "inspection": "考察对象名单",
    "publicity": "拟聘用人员公示",
}

SCOPE_ZH = {"internal": "内部竞聘（在编在岗人员）", "public": "面向社会"}
STATUS_ZH = {
    "submitted": "待审查",
    "approved": "审查通过",
    "rejected": "审查未通过",
    "withdrawn": "已撤回",
}
CHECKS_ZH = {
    "education": "学历",
    "retirement": "退休年龄",
    "standing": "考核及处分",
    "scope": "人员范围",
}
FAIL_ZH = {
    "education": "学历低于大专",
    "retirement": "距法定退休年龄不足一个聘期",
    "standing": "考核、审查调查或处分期内，不得竞聘上一层级岗位",
    "scope": "不在本批次人员范围内",
}
RESULT_ZH = {"pass": "通过", "fail": "未通过", "appointed": "拟聘用", "not_appointed": "不予聘用"}

Cell = str | int | Decimal | None


@dataclass
class Section:
    heading: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)


@dataclass
class CampaignRecord:
    name: str  # a key of RECORDS
    title: str  # 报名人数统计 …
    campaign_id: int
    campaign_title: str
    info: list[str]
    sections: list[Section]
    head_seq: int
    head_hash: str
    made_at: datetime

    @property
    def qr_payload(self) -> str:
        return (
            f"interview-kiosk campaign={self.campaign_id} seq={self.head_seq} head={self.head_hash}"
        )


@dataclass
class BatchData:
    batch: dict[str, Any]
    counts: dict[str, Any] | None = None
    applications: list[dict[str, Any]] = field(default_factory=list)
    ranking: dict[str, Any] | None = None
    publicity: dict[str, Any] | None = None


@dataclass
class CampaignData:
    campaign: dict[str, Any]
    posts: list[dict[str, Any]]
    batches: list[BatchData]
    applicants: list[dict[str, Any]] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = "0" * 64


def mask_id(id_number: str | None) -> str:
    """``320582198506150012`` → ``3205**********0012``; an already masked number stays."""
    text = (id_number or "").strip()
    if len(text) < 9 or "*" in text:
        return text
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def decimal(value: Any) -> Decimal | None:
    """A score as the API sends it (a string with its decimals) as an exact ``Decimal``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def failed_checks(checks: dict[str, Any] | None) -> list[str]:
    """Why an application is not eligible, in the plan's words."""
    return [FAIL_ZH.get(k, k) for k, ok in (checks or {}).items() if ok is False]


def outcome(application: dict[str, Any], stage: str) -> dict[str, Any] | None:
    """The ``inspection`` or ``decision`` outcome of an application, whichever way it is nested."""
    outcomes = application.get("outcomes")
    if isinstance(outcomes, dict) and isinstance(outcomes.get(stage), dict):
        return outcomes[stage]
    if isinstance(outcomes, list):
        found = [o for o in outcomes if isinstance(o, dict) and o.get("stage") == stage]
        if found:
            return found[-1]
    value = application.get(stage)
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return {"result": value}
    return None


def _applicant_index(data: CampaignData) -> dict[Any, dict[str, Any]]:
    return {a.get("id"): a for a in data.applicants}


def _who(application: dict[str, Any], people: dict[Any, dict[str, Any]]) -> tuple[str, str]:
    person = people.get(application.get("applicant_id"), {})
    name = application.get("name") or application.get("applicant_name") or person.get("name") or ""
    masked = (
        application.get("id_masked")
        or application.get("masked_id")
        or person.get("id_masked")
        or person.get("masked_id")
        or mask_id(person.get("id_number") or application.get("id_number"))
    )
    return str(name), str(masked or "")


def _post_name(data: CampaignData, code: str) -> str:
    post = next((p for p in data.posts if p.get("code") == code), None)
    return f"{post.get('unit') or ''} {post.get('name') or ''}".strip() if post else ""


def _batch_heading(b: BatchData) -> str:
    batch = b.batch
    scope = SCOPE_ZH.get(batch.get("scope", ""), batch.get("scope", ""))
    window = f"报名 {batch.get('apply_from', '')} 至 {batch.get('apply_until', '')}"
    return f"{batch.get('name', '')}（{scope}；{window}）"


def _info(data: CampaignData) -> list[str]:
    c = data.campaign
    return [
        f"方案公布日期（资格、年龄计算截止日）：{c.get('announced_on', '')}",
        f"聘期：{c.get('term_years', 2)} 年　　总成绩合格线：{c.get('pass_line', '60')} 分",
    ]


def _counts(data: CampaignData) -> list[Section]:
    sections = []
    for b in data.batches:
        posts = (b.counts or {}).get("posts") or []
        by_status: dict[str, dict[str, int]] = {}
        for a in b.applications:
            by_status.setdefault(a.get("post_code", ""), {}).setdefault(a.get("status", ""), 0)
            by_status[a.get("post_code", "")][a.get("status", "")] += 1
        rows: list[list[Cell]] = []
        total = 0
        for p in posts:
            n = int(p.get("applicants") or 0)
            total += n
            counts = by_status.get(p.get("code"), {})
            rows.append(
                [
                    p.get("code"),
                    _post_name(data, p.get("code")) or p.get("name"),
                    p.get("openings"),
                    n,
                    counts.get("approved", 0),
                    counts.get("rejected", 0),
                    counts.get("withdrawn", 0),
                ]
            )
        rows.append(
            [
                "合计",
                "",
                sum(int(p.get("openings") or 0) for p in posts),
                total,
                sum(r[4] for r in rows if isinstance(r[4], int)),
                sum(r[5] for r in rows if isinstance(r[5], int)),
                sum(r[6] for r in rows if isinstance(r[6], int)),
            ]
        )
        sections.append(
            Section(
                _batch_heading(b),
                ["岗位代码", "岗位", "职数", "报名人数", "审查通过", "审查未通过", "已撤回"],
                rows,
                ["报名人数为有效报名（已撤回的不计）。"],
            )
        )
    return sections


def _review(data: CampaignData) -> list[Section]:
    people = _applicant_index(data)
    sections = []
    for b in data.batches:
        rows: list[list[Cell]] = []
        for a in sorted(b.applications, key=lambda a: (a.get("post_code", ""), a.get("id", 0))):
            name, masked = _who(a, people)
            checks = a.get("checks") or {}
            marks = ["✓" if checks.get(k) else ("✗" if k in checks else "") for k in CHECKS_ZH]
            why = "；".join(failed_checks(checks))
            reason = a.get("review_reason") or a.get("reason") or ""
            rows.append(
                [
                    a.get("post_code"),
                    name,
                    masked,
                    *marks,
                    STATUS_ZH.get(a.get("status", ""), a.get("status", "")),
                    "；".join(x for x in (why, reason) if x),
                ]
            )
        sections.append(
            Section(
                _batch_heading(b),
                ["岗位代码", "姓名", "身份证号", *CHECKS_ZH.values(), "审查结论", "说明"],
                rows or [["（无报名）", "", "", "", "", "", "", "", ""]],
                [
                    "✓ 符合，✗ 不符合；条件按方案公布之日计算。资格审查贯穿竞聘全过程，本表为打印时的结论。"
                ],
            )
        )
    return sections


def _ranking_rows(
    post: dict[str, Any], people: dict[Any, dict[str, Any]], apps: dict[Any, dict[str, Any]]
) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for r in post.get("ranking") or []:
        app = apps.get(r.get("application_id"), {})
        name = r.get("candidate_name") or _who(app, people)[0]
        rows.append(
            [
                r.get("rank"),
                r.get("draw_no"),
                name,
                decimal(r.get("interview")),
                decimal(r.get("total")),
                "是" if r.get("eligible") else "否",
                ("是（末位并列）" if r.get("tie_at_cutoff") else "是")
                if r.get("shortlisted")
                else "",
            ]
        )
    return rows


def _scores(data: CampaignData) -> list[Section]:
    people = _applicant_index(data)
    pass_line = data.campaign.get("pass_line", "60")
    sections = []
    for b in data.batches:
        apps = {a.get("id"): a for a in b.applications}
        posts = (b.ranking or {}).get("positions") or (b.ranking or {}).get("posts") or []
        if not posts:
            sections.append(Section(_batch_heading(b), ["说明"], [["本批次尚无成绩。"]]))
            continue
        for post in posts:
            rows = _ranking_rows(post, people, apps)
            sections.append(
                Section(
                    f"{b.batch.get('name', '')} · 岗位 {post.get('code', '')} {post.get('name', '')}"
                    f"（职数 {post.get('openings', '')}，初步考察对象 {post.get('shortlist_size', '')} 人）",
                    [
                        "名次",
                        "抽签号",
                        "姓名",
                        "面试得分",
                        "总成绩",
                        f"达到{pass_line}分",
                        "初步考察对象",
                    ],
                    rows or [["", "", "（暂无成绩）", None, None, "", ""]],
                )
            )
    if sections:
        sections[-1].notes.append(
            f"按总成绩由高到低排序，总成绩相同的按面试成绩排序；总成绩低于 {pass_line} 分者不得入选。"
        )
    return sections


def _inspection(data: CampaignData) -> list[Section]:
    people = _applicant_index(data)
    sections = []
    for b in data.batches:
        apps = {a.get("id"): a for a in b.applications}
        posts = (b.ranking or {}).get("positions") or (b.ranking or {}).get("posts") or []
        rows: list[list[Cell]] = []
        for post in posts:
            for r in post.get("ranking") or []:
                if not r.get("shortlisted"):
                    continue
                app = apps.get(r.get("application_id"), {})
                name = r.get("candidate_name") or _who(app, people)[0]
                inspected = outcome(app, "inspection")
                decided = outcome(app, "decision")
                rows.append(
                    [
                        post.get("code"),
                        post.get("name"),
                        r.get("rank"),
                        name,
                        decimal(r.get("total")),
                        RESULT_ZH.get((inspected or {}).get("result", ""), "待考察"),
                        RESULT_ZH.get((decided or {}).get("result", ""), ""),
                    ]
                )
        sections.append(
            Section(
                _batch_heading(b),
                ["岗位代码", "岗位", "名次", "姓名", "总成绩", "考察结果", "研究决定"],
                rows or [["", "", "", "（尚未确定考察对象）", None, "", ""]],
            )
        )
    return sections


def _publicity(data: CampaignData) -> list[Section]:
    sections = []
    for b in data.batches:
        pub = b.publicity
        if not pub:
            sections.append(Section(_batch_heading(b), ["说明"], [["本批次尚未发布公示。"]]))
            continue
        rows: list[list[Cell]] = [
            [i, a.get("post_code"), _post_name(data, a.get("post_code", "")), a.get("name")]
            for i, a in enumerate(pub.get("appointees") or [], start=1)
        ]
        sections.append(
            Section(
                _batch_heading(b),
                ["序号", "岗位代码", "岗位", "姓名"],
                rows or [["", "", "", "（无拟聘用人员）"]],
                [
                    f"公示期：{pub.get('published_on', '')} 至 {pub.get('ends_on', '')}（5 个工作日，法定节假日不计）。",
                    "公示期间如有异议，请向领导小组办公室反映。",
                ],
            )
        )
    return sections


_BUILDERS = {
    "counts": _counts,
    "review": _review,
    "scores": _scores,
    "inspection": _inspection,
    "publicity": _publicity,
}


def build(name: str, data: CampaignData, made_at: datetime | None = None) -> CampaignRecord:
    """The record ``name`` (a key of :data:`RECORDS`) of the campaign ``data``."""
    if name not in _BUILDERS:
        raise KeyError(name)
    return CampaignRecord(
        name=name,
        title=RECORDS[name],
        campaign_id=int(data.campaign.get("id") or 0),
        campaign_title=str(data.campaign.get("title") or ""),
        info=_info(data),
        sections=_BUILDERS[name](data),
        head_seq=data.head_seq,
        head_hash=data.head_hash,
        made_at=made_at or datetime.now(UTC),
    )


def head_of(audit_lines: Iterable[str]) -> tuple[int, str]:
    """The chain's last ``seq`` and ``hash`` from its JSON lines (0 and 64 zeros when empty)."""
    import json

    seq, head = 0, "0" * 64
    for line in audit_lines:
        if line.strip():
            event = json.loads(line)
            seq, head = int(event["seq"]), str(event["hash"])
    return seq, head


def filename(record: CampaignRecord, ext: str) -> tuple[str, str]:
    """The download's real name and an ASCII fallback."""
    title = "".join(c for c in record.campaign_title if c not in '\\/:*?"<>|\r\n\t')[:60].strip()
    return (
        f"{record.title}-{title or record.campaign_id}.{ext}",
        f"campaign-{record.campaign_id}-{record.name}.{ext}",
    )
