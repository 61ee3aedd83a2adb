"""Everything an export prints, read in one transaction so every part agrees with the others."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from server.domain import ranking, sitting
from server.domain.ranking import SittingRanking
from server.domain.states import State
from server.domain.views import InterviewView, SittingView
from server.errors import NotFound, ScoringInProgress
from server.store import components, sittings
from server.store import repository as repo

#: China keeps one time zone and no daylight saving: times shown to people are Beijing time.
BEIJING = timezone(timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class Record:
    session: SittingView
    ranking: SittingRanking
    audit: list[str]
    head_seq: int
    head_hash: str
    signatures: dict[int, Any]
    #: Interview id → component id → score entered by the secretary.
    scores: dict[int, dict[int, Decimal]]

    def held_on(self) -> datetime:
        """The sitting's date: its first interview's start, else when it was set up (Beijing)."""
        return held_on(self.session)


def held_on(session: SittingView) -> datetime:
    """The sitting's date: its first interview's start, else when it was set up (Beijing)."""
    started = [i.started_at for i in session.interviews if i.started_at is not None]
    return local(min(started) if started else session.created_at)


def read_view(db: Session, sitting_id: int) -> SittingView:
    """Fold the sitting's chain as this transaction sees it; raise ``NotFound`` if unknown.

    Exports are not hot: they read the record itself, in the same transaction as the rest of
    what they print, rather than a live process's memory (the CLI has none).
    """
    repo.get_sitting(db, sitting_id)
    live = sittings.load(db.connection(), sitting_id)
    if live is None:
        raise NotFound(f"场次 {sitting_id} 不存在。", f"There is no sitting {sitting_id}.")
    return sitting.sitting_view(live.state)


def read_record(db: Session, session_id: int) -> Record:
    """Read one sitting's record; raise ``NotFound`` for an unknown sitting."""
    session = read_view(db, session_id)
    specs = components.specs(db, session_id)
    scores = components.scores(db, session_id)
    ranked = ranking.rank_sitting(session, specs, scores)
    seq, head = repo.audit_head(db, session_id)
    return Record(
        session=session,
        ranking=ranked,
        audit=repo.audit_lines(db, session_id),
        head_seq=seq,
        head_hash=head,
        signatures=repo.signatures(db, session_id),
        scores=scores,
    )


def read_ranking(db: Session, session_id: int) -> SittingRanking:
    """Rank a sitting's posts (no audit log or signatures read); raise ``NotFound`` if unknown."""
    session = read_view(db, session_id)
    specs = components.specs(db, session_id)
    return ranking.rank_sitting(session, specs, components.scores(db, session_id))


def local(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)


def local_text(moment: datetime | None) -> str:
    return "" if moment is None else local(moment).strftime("%Y-%m-%d %H:%M:%S")


def dropped_seat(interview: InterviewView, seat: int) -> str | None:
    """ "high" or "low" when this seat's mark was dropped, once the interview is scored."""
    if interview.result is None:
        return None
    if seat == interview.dropped_high:
        return "high"
    if seat == interview.dropped_low:
        return "low"
    return None


STATE_ZH = {
    "waiting": "候考",
    "interviewing": "面试中",
    "scored": "已评分",
    "announced": "已公布",
    "confirmed": "已签字确认",
    "absent": "缺考",
    "disputed": "有异议",
}

UNRANKED_ZH = {
    "absent": "缺考",
    "not_scored": "未评分",
    "missing_components": "缺少其他成绩",
}


def rules_text(record: Record) -> list[str]:
    """The rules the sitting applied, as sentences for the printed sheet."""
    s = record.session
    lines = [
        f"评委 {s.judge_count} 人，百分制，评分保留 {s.score_decimals} 位小数；每位考生至少 {s.min_scores} 个有效分。",
        f"去掉一个最高分和一个最低分后取算术平均，结果四舍五入保留 {s.result_decimals} 位小数，即为面试得分。",
    ]
    r = record.ranking
    if r.components:
        parts = [f"面试得分 × {_percent(r.interview_weight)}"]
        parts += [f"{c.name} × {_percent(c.weight)}" for c in r.components]
        lines.append(f"总成绩 = {' + '.join(parts)}，一次四舍五入保留 {s.result_decimals} 位小数。")
    else:
        lines.append("总成绩即面试得分。")
    lines.append(
        "按岗位以总成绩由高到低排名，总成绩相同者按面试得分排序，二者均相同者名次并列；"
        "总成绩低于 60 分者不得确定为初步考察对象；初步考察对象人数 = 职位数 × 比例（向上取整），"
        "在末位并列者一并列入，提交领导小组研究确定。"
    )
    return lines


def _percent(weight: Any) -> str:
    text = format(weight * 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


# --- exports while scoring --------------------------------------------------------------------


def ensure_not_scoring(session: SittingView) -> None:
    """Raise ``ScoringInProgress`` while an interview of the sitting is being scored.

    The audit log and the XLSX audit sheet carry every mark as it is submitted; handing them out
    mid-interview would show a candidate's marks before the last judge has scored.
    """
    for interview in session.interviews:
        if interview.state == State.INTERVIEWING:
            raise ScoringInProgress(
                f"岗位 {interview.position_code} 的 {interview.draw_no} 号考生正在评分，"
                "请在该考生评分结束后再导出。",
                f"Draw number {interview.draw_no} (post {interview.position_code}) is being "
                "scored: export after it is scored.",
            )


# --- text cells a spreadsheet could run -------------------------------------------------------

#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """Prefix a text cell a spreadsheet would read as a formula with ``'`` (OWASP's advice)."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


# --- file names --------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_filename_part(text: str, limit: int = 80) -> str:
    """``text`` as part of a file name: no path separators, reserved or control characters."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE_NAME.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" ._")
    return text[:limit].strip(" ._") or "场次"


def export_filename(session: SittingView, suffix: str, kind: str = "面试成绩") -> str:
    """The default name of an export, e.g. ``面试成绩-2026年竞聘上岗面试-2026-11-30.xlsx``."""
    day: date = held_on(session).date()
    return f"{kind}-{safe_filename_part(session.title)}-{day.isoformat()}.{suffix}"


def ascii_filename(session: SittingView, suffix: str, kind: str = "scores") -> str:
    """An ASCII stand-in for clients that ignore ``filename*``."""
    return f"{kind}-session-{session.id}-{held_on(session).date().isoformat()}.{suffix}"


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the real name as RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def local_note(interview: InterviewView) -> str:
    """The remarks a paper record shows for an interview: the dispute note and excuse reasons."""
    parts = []
    if interview.note:
        parts.append(f"异议：{interview.note}")
    for seat, reason in sorted(interview.excused.items()):
        parts.append(f"第 {seat} 席回避：{reason}" if reason else f"第 {seat} 席回避")
    return "；".join(parts)
