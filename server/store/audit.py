"""The audit chain: each event's hash covers the previous hash and the event itself.

``hash = sha256(prev + "\\n" + canonical_json({"seq", "at", "actor", "kind", "data"}))``, the
first ``prev`` being 64 zeros. Anyone holding ``audit.jsonl`` can check that no line was
changed, removed, inserted or reordered; with the head hash printed on the paper record
(``expect_head``) a truncated or wholly re-hashed log is caught too.

Reading is strict, because a lenient reader is a second meaning for the same bytes: Python's
``json`` keeps the *last* of two equal keys, so ``{"data": {"score": "95", "score": "80", ...}}``
hashes as 80 while a spreadsheet or a person reads 95. A line is refused when it carries a
duplicate key at any depth, a top-level field outside the seven, a value of the wrong type,
``NaN``/``Infinity``, a ``seq`` out of order, a ``prev`` that is not the line before's ``hash``,
an ``at`` that is not an ISO 8601 UTC time, an unknown ``kind`` or an ``actor`` of no known form.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.domain.chain import Recorded

GENESIS = "0" * 64

FIELDS = ("seq", "at", "actor", "kind", "data", "prev", "hash")

#: Every kind a sitting's chain holds. A new kind is added here in the change that first writes
#: it (tests/store/test_verify_strict.py fails for a kind the code writes and this set lacks).
KINDS = frozenset(
    {
        "session.created",
        "session.corrected",
        "session.removed",
        "position.created",
        "position.corrected",
        "position.removed",
        "interview.created",
        "interview.corrected",
        "interview.removed",
        "interview.started",
        "interview.countdown",
        "mark.submitted",
        "seat.excused",
        "mark.reopened",
        "interview.scored",
        "interview.announced",
        "interview.signed",
        "interview.absent",
        "interview.disputed",
        "component.created",
        "component.scored",
    }
)

#: Every kind a campaign's chain holds (server/campaign/decider.py; tests/campaign checks the two
#: agree).
CAMPAIGN_KINDS = frozenset(
    {
        "campaign.created",
        "post.created",
        "batch.created",
        "batch.sitting_added",
        "batch.drawn",
        "applicant.created",
        "application.created",
        "application.changed",
        "application.withdrawn",
        "application.reviewed",
        "application.interviewed",
        "application.scored",
        "application.outcome",
        "publicity.created",
    }
)

#: A campaign's chain (DESIGN section 5) names its kinds by family: ``campaign.*``, ``post.*``...
CAMPAIGN_FAMILIES = frozenset(
    {"campaign", "post", "batch", "applicant", "application", "publicity"}
)

_KIND = re.compile(r"([a-z]+)\.[a-z][a-z_]*")
_ACTOR = re.compile(r"secretary|display|system|judge:[1-9][0-9]{0,3}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: What ``kiosk verify --head`` takes.
HEAD_PATTERN = _HEX64
# ISO 8601 with a date, a time to the second (fractions optional) and a UTC designator.
_AT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|\+00:00)"
)


def canonical(seq: int, at: str, actor: str, kind: str, data: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at, "actor": actor, "kind": kind, "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev: str, seq: int, at: str, actor: str, kind: str, data: dict[str, Any]) -> str:
    """Return the hash of one event chained onto ``prev``."""
    text = prev + "\n" + canonical(seq, at, actor, kind, data)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_rows(prev: str, recorded: Iterable[Recorded]) -> list[dict[str, Any]]:
    """Return the audit rows of ``recorded`` chained onto ``prev``, each with its hash.

    A row holds the chain's columns (``seq``, ``at``, ``actor``, ``kind``, ``data`` as canonical
    JSON text, ``prev``, ``hash``); the caller adds the id of the sitting or campaign.
    """
    rows = []
    for e in recorded:
        data = dict(e.data)
        digest = link_hash(prev, e.seq, e.at, e.actor, e.kind, data)
        rows.append(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "kind": e.kind,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                "prev": prev,
                "hash": digest,
            }
        )
        prev = digest
    return rows


def split_lines(text: str) -> list[str]:
    """Split a JSON-lines file on newlines only (``str.splitlines`` also splits on U+2028 etc.)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def known_kind(kind: str) -> bool:
    """Say whether ``kind`` is one a kiosk chain can hold."""
    if kind in KINDS or kind in CAMPAIGN_KINDS:
        return True
    match = _KIND.fullmatch(kind)
    return match is not None and match.group(1) in CAMPAIGN_FAMILIES


@dataclass
class Verdict:
    ok: bool
    lines: int
    bad_line: int | None = None
    reason: str = ""
    head: str = GENESIS
    #: The same reason in Chinese, for the office that checks the record.
    reason_zh: str = ""


class BadLine(ValueError):
    """One line of the log is not a well-formed audit event."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadLine(f"键 {key!r} 重复出现", f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise BadLine(f"含有非法数值 {name}", f"non-standard number {name}")


def parse_event(raw: str) -> dict[str, Any]:
    """Parse one line strictly into an event of exactly the seven fields, or raise ``BadLine``."""
    try:
        event = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except BadLine:
        raise
    except (ValueError, RecursionError):
        raise BadLine("不是有效的 JSON", "not valid JSON") from None
    if not isinstance(event, dict):
        raise BadLine("不是 JSON 对象", "not a JSON object")
    missing = [f for f in FIELDS if f not in event]
    if missing:
        raise BadLine(f"缺少字段 {', '.join(missing)}", f"missing field(s) {', '.join(missing)}")
    extra = sorted(set(event) - set(FIELDS))
    if extra:
        raise BadLine(
            f"多出字段 {', '.join(extra)}", f"field(s) outside the seven: {', '.join(extra)}"
        )
    seq, at, actor, kind = event["seq"], event["at"], event["actor"], event["kind"]
    if type(seq) is not int:
        raise BadLine("seq 必须是整数", "seq is not an integer")
    for name in ("at", "actor", "kind", "prev", "hash"):
        if not isinstance(event[name], str):
            raise BadLine(f"{name} 必须是字符串", f"{name} is not a string")
    if not isinstance(event["data"], dict):
        raise BadLine("data 必须是 JSON 对象", "data is not a JSON object")
    for name in ("prev", "hash"):
        if not _HEX64.fullmatch(event[name]):
            raise BadLine(
                f"{name} 不是 64 位小写十六进制的 SHA-256",
                f"{name} is not a lower-case SHA-256 hex digest",
            )
    if not _utc_time(at):
        raise BadLine(
            f"时间 {at!r} 不是 ISO 8601 UTC 时间", f"at {at!r} is not an ISO 8601 UTC time"
        )
    if not _ACTOR.fullmatch(actor):
        raise BadLine(
            f"操作者 {actor!r} 无法识别",
            f"actor {actor!r} is not secretary, judge:N, display or system",
        )
    if not known_kind(kind):
        raise BadLine(f"事件类型 {kind!r} 未知", f"unknown kind {kind!r}")
    return event


def _utc_time(at: str) -> bool:
    if not _AT.fullmatch(at):
        return False
    try:
        moment = datetime.fromisoformat(at)  # takes "Z" since Python 3.11
    except ValueError:
        return False
    return moment.utcoffset() == timedelta(0)


def verify_lines(lines: Iterable[str], expect_head: str | None = None) -> Verdict:
    """Check a chain given as JSON lines; name the first line that breaks it.

    With ``expect_head`` the chain must also end exactly at that hash (the head printed on the
    paper record): a log cut short, or re-hashed from an edit onwards, ends elsewhere.
    """
    prev = GENESIS
    count = 0
    blank: int | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            blank = blank or number
            continue
        if blank is not None:  # an empty line inside the log: a line was blanked out
            return Verdict(False, count, blank, "empty line inside the log", prev, "日志中间有空行")
        count += 1
        try:
            event = parse_event(raw)
        except BadLine as bad:
            return Verdict(False, count, number, bad.en, prev, bad.zh)
        seq = event["seq"]
        if seq != count:
            return Verdict(
                False,
                count,
                number,
                f"seq {seq!r}, expected {count}",
                prev,
                f"序号为 {seq}，应为 {count}",
            )
        if event["prev"] != prev:
            return Verdict(
                False,
                count,
                number,
                "prev does not match the line before",
                prev,
                "prev 与上一行的哈希不符",
            )
        digest = link_hash(prev, seq, event["at"], event["actor"], event["kind"], event["data"])
        if digest != event["hash"]:
            return Verdict(
                False,
                count,
                number,
                "hash does not match the line's content",
                prev,
                "哈希与本行内容不符",
            )
        prev = digest
    if count == 0:
        return Verdict(False, 0, 1, "the file holds no audit event", prev, "文件中没有审计事件")
    if expect_head is not None and prev != expect_head.strip().lower():
        last = number if blank is None else blank - 1
        return Verdict(
            False,
            count,
            last,
            f"the chain ends at {prev}, not at the expected head {expect_head.strip().lower()}"
            " (the log was cut short or re-hashed)",
            prev,
            f"审计链的末端哈希为 {prev}，与纸质记录上的 {expect_head.strip().lower()} 不符（日志被截短或被重新计算哈希）",
        )
    return Verdict(True, count, None, "", prev)
