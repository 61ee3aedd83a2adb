"""Request bodies. Limits are the contract's (DESIGN.md section 4); anything else gets a 422."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

from server.store.models import MAX_ID


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ValueError("must not contain control characters")
    value.encode("utf-8")  # refuses lone surrogates, which no database stores
    return value


def _note(value: str) -> str:
    value.encode("utf-8")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


def Text(max_length: int) -> Any:  # noqa: N802 - reads as a type in the models below
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(_clean)]


Note = Annotated[str, Field(max_length=2000), AfterValidator(_note)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class LoginIn(Body):
    password: str = Field(max_length=200)


class SessionIn(Body):
    title: Text(200)  # type: ignore[valid-type]
    batch: Annotated[str, Field(max_length=100), AfterValidator(_note)] = ""
    judge_count: Annotated[StrictInt, Field(ge=3, le=15)] = 7
    score_decimals: Annotated[StrictInt, Field(ge=0, le=2)] = 1
    result_decimals: Annotated[StrictInt, Field(ge=0, le=4)] = 2
    min_scores: Annotated[StrictInt, Field(ge=3, le=15)] | None = None
    language: Literal["zh", "en"] = "zh"

    @model_validator(mode="after")
    def _min_scores(self) -> SessionIn:
        if self.min_scores is None:
            self.min_scores = min(5, self.judge_count)
        if self.min_scores > self.judge_count:
            raise ValueError(
                f"min_scores ({self.min_scores}) cannot exceed judge_count ({self.judge_count})"
            )
        return self


def bounded_decimal(name: str, example: str, upper: Decimal, upper_inclusive: bool) -> Any:
    """A validator for a decimal in (0, upper] or (0, upper), written as text, at most 4 places."""
    bound = f"at most {upper}" if upper_inclusive else f"less than {upper}"

    def check(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValueError(f"{name} must be a decimal written as a string, e.g. {example}")  # noqa: TRY004 - pydantic wants ValueError
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError(f"{name} must be a decimal, e.g. {example}") from None
        # is_finite first: comparing NaN raises.
        if not number.is_finite() or number <= 0 or (
            number > upper if upper_inclusive else number >= upper
        ):
            raise ValueError(f"{name} must be greater than 0 and {bound}")
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ValueError(f"{name} has at most 4 decimal places")
        return number

    return check


_ratio = bounded_decimal("shortlist_ratio", '"2" or "1.5"', Decimal(100), upper_inclusive=True)


class PositionIn(Body):
    code: Text(50)  # type: ignore[valid-type]
    name: Text(200)  # type: ignore[valid-type]
    openings: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1
    shortlist_ratio: Annotated[Any, AfterValidator(_ratio)] = Decimal(1)


class InterviewIn(Body):
    draw_no: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    candidate_name: Text(50)  # type: ignore[valid-type]
    position_code: Text(50)  # type: ignore[valid-type]


class SeatReasonIn(Body):
    seat: Annotated[StrictInt, Field(ge=1, le=15)]
    reason: Text(500)  # type: ignore[valid-type]


class DisputeIn(Body):
    note: Note = ""


class StartIn(Body):
    countdown_minutes: Annotated[StrictInt, Field(ge=1, le=240)] | None = None


class CountdownIn(Body):
    minutes: Annotated[StrictInt, Field(ge=1, le=240)] | None = None


class SignatureIn(Body):
    interview_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
    strokes: list[Any] = Field(max_length=2000)
