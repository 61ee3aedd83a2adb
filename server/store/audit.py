"""The audit chain: each event's hash covers the previous hash and the event itself.

``hash = sha256(prev + "\\n" + canonical_json({"seq", "at", "actor", "kind", "data"}))``, the
first ``prev`` being 64 zeros. Anyone holding ``audit.jsonl`` can check that no line was
changed, removed, inserted or reordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(seq: int, at: str, actor: str, kind: str, data: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at, "actor": actor, "kind": kind, "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev: str, seq: int, at: str, actor: str, kind: str, data: dict[str, Any]) -> str:
    """Return the hash of one event chained onto ``prev``."""
    text = prev + "\n" + canonical(seq, at, actor, kind, data)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Verdict:
    ok: bool
    lines: int
    bad_line: int | None = None
    reason: str = ""
    head: str = GENESIS


def verify_lines(lines: Iterable[str]) -> Verdict:
    """Check a chain given as JSON lines; name the first line that breaks it."""
    prev = GENESIS
    count = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        count += 1
        try:
            event = json.loads(raw)
            seq, at, actor, kind, data = (
                event["seq"], event["at"], event["actor"], event["kind"], event["data"]
            )
            claimed_prev, claimed_hash = event["prev"], event["hash"]
        except (ValueError, KeyError, TypeError):
            return Verdict(False, count, number, "not an audit event", prev)
        if seq != count:
            return Verdict(False, count, number, f"seq {seq!r}, expected {count}", prev)
        if claimed_prev != prev:
            return Verdict(False, count, number, "prev does not match the line before", prev)
        if link_hash(prev, seq, at, actor, kind, data) != claimed_hash:
            return Verdict(False, count, number, "hash does not match the line's content", prev)
        prev = claimed_hash
    return Verdict(True, count, None, "", prev)
