"""Frames that clients send, parsed without ever making a float of a mark."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from server.domain.scoring import JsonNumberText, NonFinite
from server.errors import BadMessage

MAX_DEPTH = 16


class SubmitFrame(BaseModel):
    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)
    type: Literal["submit"]
    request_id: str = Field(min_length=1, max_length=100)
    interview_id: Any
    score: Any
    #: A score sheet's elements (评分要素); with them the total (``score``) may be left out.
    parts: Any = None

    @model_validator(mode="before")
    @classmethod
    def _total_optional_with_parts(cls, data: Any) -> Any:
        if isinstance(data, dict) and "parts" in data and "score" not in data:
            return {**data, "score": None}
        return data

    @field_validator("request_id", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        if not isinstance(value, str) or isinstance(value, JsonNumberText):
            raise ValueError("request_id must be a string")  # noqa: TRY004 - pydantic wants ValueError
        value.encode("utf-8")  # a lone surrogate cannot be stored: refuse it here
        return value

    @field_validator("interview_id", mode="before")
    @classmethod
    def _an_id(cls, value: Any) -> Any:
        if type(value) is not int:
            raise ValueError("interview_id must be an integer")
        return value


class PingFrame(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["ping"]


_PING = PingFrame(type="ping")

ClientFrame = TypeAdapter(Annotated[SubmitFrame | PingFrame, Field(discriminator="type")])


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def loads(text: str) -> Any:
    """Parse JSON keeping numbers with a fraction as their text and NaN/Infinity as markers."""
    return json.loads(text, parse_float=JsonNumberText, parse_constant=NonFinite)


def parse_client_frame(
    text: str | bytes | None, allowed: tuple[str, ...]
) -> SubmitFrame | PingFrame:
    """Return a valid frame or raise ``BadMessage`` carrying whatever request id was readable."""
    if not isinstance(text, str):
        raise BadMessage("消息必须是 JSON 文本。", "Messages must be JSON text.")
    try:
        data = loads(text)
    except (ValueError, RecursionError):
        raise BadMessage("消息不是有效的 JSON。", "The message is not valid JSON.") from None
    if not isinstance(data, dict) or _depth(data) > MAX_DEPTH:
        raise BadMessage("消息必须是一个 JSON 对象。", "The message must be a JSON object.")
    request_id = data.get("request_id")
    kind = data.get("type")
    # The common shapes, already valid as they stand, skip the validator (same result).
    if kind == "submit" and "submit" in allowed:
        if (
            type(request_id) is str
            and 0 < len(request_id) <= 100
            and type(data.get("interview_id")) is int
            and "score" in data
            and "parts" not in data
            and _utf8(request_id)
        ):
            return SubmitFrame.model_construct(
                type="submit",
                request_id=request_id,
                interview_id=data["interview_id"],
                score=data["score"],
                parts=None,
            )
    elif kind == "ping" and "ping" in allowed:
        return _PING
    readable = request_id if isinstance(request_id, str) and len(request_id) <= 100 else None
    if kind not in allowed:
        error = BadMessage(
            f"未知的消息类型：{str(kind)[:30]}。", f"Unknown message type: {str(kind)[:30]}."
        )
        error.request_id = readable  # type: ignore[attr-defined]
        raise error
    try:
        return ClientFrame.validate_python(data)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
        error = BadMessage(
            f"消息缺少字段或字段类型不对：{fields}。", f"Missing or malformed field(s): {fields}."
        )
        error.request_id = readable  # type: ignore[attr-defined]
        raise error from None
