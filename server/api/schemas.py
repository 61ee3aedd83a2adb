"""Request bodies. Limits are the contract's (DESIGN.md section 4); anything else gets a 422."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from server.store.models import MAX_ID

#: Line breaks and tabs a multi-line note may hold; a name or a title holds none.
NOTE_BREAKS = frozenset("\n\r\t")


def _invisible(value: str, allowed: frozenset[str] = frozenset()) -> bool:
    """True if ``value`` holds a control or format character: bidi overrides and isolates
    (U+202A–202E, U+2066–2069), direction marks (U+200E/200F, U+061C), zero-width characters
    (U+200B–200D, U+2060, U+FEFF), C0/C1 controls, line separators, or a lone surrogate."""
    return any(
        c not in allowed and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        for c in value
    )


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    if _invisible(value):
        raise PydanticCustomError(
            "invisible_characters",
            "must not contain control or invisible characters (line breaks, direction marks, zero-width spaces)",
        )
    return value


def _note(value: str) -> str:
    if _invisible(value, NOTE_BREAKS) or "\x00" in value:
        raise PydanticCustomError(
            "invisible_characters",
            "must not contain control or invisible characters (direction marks, zero-width spaces)",
        )
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
    #: A score sheet by element (评分要素), checked by server.domain.sheets (422 with a reason).
    criteria: Any = None
    trim: Any = None
    #: A sitting of a campaign's batch (DESIGN section 5): its posts are the batch's.
    batch_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None

    @model_validator(mode="after")
    def _min_scores(self) -> SessionIn:
        if self.min_scores is None:
            self.min_scores = min(5, self.judge_count)
        if self.min_scores > self.judge_count:
            raise PydanticCustomError(
                "min_scores_above_judges",
                "the minimum number of marks ({min_scores}) cannot exceed the number of judges ({judge_count})",
                {"min_scores": self.min_scores, "judge_count": self.judge_count},
            )
        return self


def bounded_decimal(name: str, example: str, upper: Decimal, upper_inclusive: bool) -> Any:
    """A validator for a decimal in (0, upper] or (0, upper), written as text, at most 4 places."""
    # The error types are translated by server.api.app.describe_validation; the field's name
    # comes from where the error is, so ``name`` only documents the validator.
    kind = "decimal_range" if upper_inclusive else "decimal_range_open"
    bound = "at most {upper}" if upper_inclusive else "less than {upper}"

    def check(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise PydanticCustomError(
                "decimal_text",
                "must be a decimal written as a string, e.g. {example}",
                {"example": example},
            )
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise PydanticCustomError(
                "decimal_text",
                "must be a decimal written as a string, e.g. {example}",
                {"example": example},
            ) from None
        # is_finite first: comparing NaN raises.
        if (
            not number.is_finite()
            or number <= 0
            or (number > upper if upper_inclusive else number >= upper)
        ):
            raise PydanticCustomError(
                kind, "must be greater than 0 and " + bound, {"upper": str(upper)}
            )
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise PydanticCustomError(
                "decimal_places", "must have at most {places} decimal places", {"places": 4}
            )
        return number

    return check


_ratio = bounded_decimal("shortlist_ratio", '"2" or "1.5"', Decimal(100), upper_inclusive=True)


class PositionIn(Body):
    code: Text(50)  # type: ignore[valid-type]
    name: Text(200)  # type: ignore[valid-type]
    openings: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1
    shortlist_ratio: Annotated[Any, AfterValidator(_ratio)] = Decimal(1)


class InterviewIn(Body):
    """A candidate by name and post, or (a campaign batch's sitting) by application."""

    draw_no: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    candidate_name: Text(50) | None = None  # type: ignore[valid-type]
    position_code: Text(50) | None = None  # type: ignore[valid-type]
    application_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None

    def missing(self) -> list[str]:
        """Name the fields a candidate entered by hand still needs (none with an application)."""
        if self.application_id is not None:
            return []
        return [k for k in ("candidate_name", "position_code") if getattr(self, k) is None]


class SeatReasonIn(Body):
    seat: Annotated[StrictInt, Field(ge=1, le=15)]
    reason: Text(500)  # type: ignore[valid-type]


class DisputeIn(Body):
    # Required: why the candidate on screen did not sign (declined, or did not come back).
    # A blank note passes here and is refused, in the reader's language, by the store.
    note: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_note)]


class StartIn(Body):
    countdown_minutes: Annotated[StrictInt, Field(ge=1, le=240)] | None = None


class CountdownIn(Body):
    minutes: Annotated[StrictInt, Field(ge=1, le=240)] | None = None


class SignatureIn(Body):
    interview_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
    strokes: list[Any] = Field(max_length=2000)


# --- corrections before the start (each field left out stays as it is) ------------------------


class InterviewPatch(Body):
    draw_no: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    candidate_name: Text(50) | None = None  # type: ignore[valid-type]
    position_code: Text(50) | None = None  # type: ignore[valid-type]


class PositionPatch(Body):
    code: Text(50) | None = None  # type: ignore[valid-type]
    name: Text(200) | None = None  # type: ignore[valid-type]
    openings: Annotated[StrictInt, Field(ge=1, le=10_000)] | None = None
    shortlist_ratio: Annotated[Any, AfterValidator(_ratio)] = None


class SessionPatch(Body):
    title: Text(200) | None = None  # type: ignore[valid-type]
    batch: Annotated[str, Field(max_length=100), AfterValidator(_note)] | None = None
    judge_count: Annotated[StrictInt, Field(ge=3, le=15)] | None = None
    score_decimals: Annotated[StrictInt, Field(ge=0, le=2)] | None = None
    result_decimals: Annotated[StrictInt, Field(ge=0, le=4)] | None = None
    min_scores: Annotated[StrictInt, Field(ge=3, le=15)] | None = None
