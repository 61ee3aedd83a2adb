"""Everything an export prints, read in one transaction so every part agrees with the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from server.domain import ranking
from server.domain.ranking import SittingRanking
from server.domain.views import InterviewView, SessionView
from server.store import components
from server.store import repository as repo

#: China keeps one time zone and no daylight saving: times shown to people are Beijing time.
BEIJING = timezone(timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class Record:
    session: SessionView
    ranking: SittingRanking
    audit: list[str]
    head_seq: int
    head_hash: str
    signatures: dict[int, Any]
    #: Interview id → component id → score entered by the secretary.
    scores: dict[int, dict[int, Decimal]]

    def held_on(self) -> datetime:
        """The sitting's date: its first interview's start, else when it was set up (Beijing)."""
        started = [i.started_at for i in self.session.interviews if i.started_at is not None]
        return local(min(started) if started else self.session.created_at)


def read_record(db: Session, session_id: int) -> Record:
    """Read one sitting's record; raise ``NotFound`` for an unknown sitting."""
    session = repo.load_snapshot(db, session_id)
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
    session = repo.load_snapshot(db, session_id)
    specs = components.specs(db, session_id)
    return ranking.rank_sitting(session, specs, components.scores(db, session_id))


def local(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING)


def local_text(moment: datetime | None) -> str:
    return "" if moment is None else local(moment).strftime("%Y-%m-%d %H:%M:%S")


def dropped_seat(interview: InterviewView, seat: int) -> str | None:
    """"high" or "low" when this seat's mark was dropped, once the interview is scored."""
    if interview.result is None:
        return None
    if seat == interview.dropped_high:
        return "high"
    if seat == interview.dropped_low:
        return "low"
    return None


STATE_ZH = {
    "waiting": "候考", "interviewing": "面试中", "scored": "已评分", "announced": "已公布",
    "confirmed": "已签字确认", "absent": "缺考", "disputed": "有异议",
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
