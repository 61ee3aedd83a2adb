"""Request bodies of the campaign's routes (DESIGN section 5); anything else gets a 422."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from server.api.schemas import Body, Text, bounded_decimal
from server.campaign import rules
from server.store.models import MAX_ID


def _day(value: Any) -> date:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "must be a date written YYYY-MM-DD")


#: A Beijing date written ``YYYY-MM-DD`` (a number, a date-time or 2025-02-30 is refused).
Day = Annotated[Any, AfterValidator(_day)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Reason = Annotated[str, Field(max_length=500)]

_ratio = bounded_decimal("shortlist_ratio", '"2" or "1.5"', Decimal(100), upper_inclusive=True)


def _pass_line(value: Any) -> str:
    example = {"example": '"60"'}
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError(
            "decimal_text", "must be a decimal written as a string, e.g. {example}", example
        )
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite():
        raise PydanticCustomError(
            "decimal_text", "must be a decimal written as a string, e.g. {example}", example
        )
    if number < 0:
        raise PydanticCustomError("greater_than_equal", "must be at least {ge}", {"ge": 0})
    if number > 100:
        raise PydanticCustomError("less_than_equal", "must be at most {le}", {"le": 100})
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise PydanticCustomError(
            "decimal_places", "may have at most {places} decimal places", {"places": 4}
        )
    return format(number, "f")


def _id_number(value: str) -> str:
    return rules.normalise_id(value)


class CampaignIn(Body):
    title: Text(200)  # type: ignore[valid-type]
    announced_on: Day
    term_years: Annotated[StrictInt, Field(ge=1, le=10)] = 2
    pass_line: Annotated[Any, AfterValidator(_pass_line)] = "60"


class PostIn(Body):
    code: Text(50)  # type: ignore[valid-type]
    name: Text(200)  # type: ignore[valid-type]
    unit: Annotated[str, Field(max_length=200)] = ""
    level: Annotated[StrictInt, Field(ge=1, le=9)]
    openings: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1
    shortlist_ratio: Annotated[Any, AfterValidator(_ratio)] = Decimal(2)


class BatchIn(Body):
    name: Text(100)  # type: ignore[valid-type]
    scope: Literal["internal", "public"]
    apply_from: Day
    apply_until: Day
    change_until: Day
    posts: Annotated[list[Text(50)], Field(min_length=1, max_length=500)]  # type: ignore[valid-type]


class ApplicantIn(Body):
    name: Text(50)  # type: ignore[valid-type]
    id_number: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_id_number)]
    sex: Literal["M", "F"]
    birth_date: Day
    retirement_base: Literal[60, 55, 50] | None = None
    education: Literal["doctorate", "master", "bachelor", "college", "secondary", "none"]
    employment: Literal["civil_servant", "quasi_civil_servant", "institution", "worker", "external"]
    current_level: Annotated[StrictInt, Field(ge=0, le=9)] = 0
    appraisal: Literal["excellent", "competent", "basically_competent", "incompetent"] | None = None
    under_investigation: StrictBool = False
    discipline_until: Day | None = None
    leadership: StrictBool = False


class ApplicationIn(Body):
    applicant_id: Id
    post_code: Text(50)  # type: ignore[valid-type]


class ChangeIn(Body):
    post_code: Text(50)  # type: ignore[valid-type]


class DrawIn(Body):
    """``POST /api/sessions/{sid}/draw``: the posts to draw (default: every post of the batch)."""

    post_codes: Annotated[list[Text(50)], Field(max_length=200)] | None = None  # type: ignore[valid-type]


class ReviewIn(Body):
    decision: Literal["approved", "rejected"]
    reason: Reason | None = None


class OutcomeIn(Body):
    stage: Literal["inspection", "decision"]
    result: Literal["pass", "fail", "appointed", "not_appointed"]
    note: Reason | None = None


class PublicityIn(Body):
    published_on: Day
    ends_on: Day | None = None
