"""Errors a person can act on.

Every rule the kiosk enforces raises a subclass of :class:`KioskError`. The HTTP layer turns
one into ``{"detail": message}`` with its ``status_code``; the socket layer turns it into
``{"type": "error", "code": ..., "message": ...}`` and keeps the socket open.

    KioskError (400)
    ├── NotAuthenticated (401)
    ├── NotFound (404)
    ├── Conflict (409)
    │   ├── InvalidTransition        the interview is in the wrong state for this step
    │   ├── DuplicateEntry           a post code or a draw number already taken
    │   ├── SeatConflict             excusing or reopening a seat that cannot be
    │   ├── StillOnScreen            announcing while another result awaits its signature or note
    │   ├── TooLateToCorrect         correcting or removing what has already started
    │   └── InUse                    removing or recoding a post that interviews still name
    ├── Unprocessable (422)
    │   ├── InvalidScore             code "invalid_score"
    │   ├── TrivialSignature         a blank or scribbled signature
    │   ├── InvalidCriteria          a sitting's score sheet (评分要素) that cannot be used
    │   └── InvalidParts             code "invalid_parts": a judge's elements that do not fit it
    └── SocketError                  socket-only errors, each with its contract code:
        ├── NotOpen                  code "not_open"
        ├── AlreadySubmitted         code "already_submitted"
        ├── SeatExcused              code "excused"
        ├── BadMessage               code "bad_message"
        └── RateLimited              code "rate_limited"
    StorageFull (507)                the disk is full: nothing was saved (code "storage_full")

Messages are written for the person who reads them (judge or secretary), in Chinese by default
with an English text beside it, and say what to do next.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every rule the kiosk enforces."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message

    def text(self, lang: str = "zh") -> str:
        """Return the message in the reader's language."""
        return self.message_en if lang == "en" else self.message


class NotAuthenticated(KioskError):
    status_code = 401
    code = "not_authenticated"


class NotFound(KioskError):
    status_code = 404
    code = "not_found"


class Conflict(KioskError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class DuplicateEntry(Conflict):
    code = "duplicate"


class SeatConflict(Conflict):
    code = "seat_conflict"


class Unprocessable(KioskError):
    status_code = 422
    code = "unprocessable"


class InvalidScore(Unprocessable):
    code = "invalid_score"


class TrivialSignature(Unprocessable):
    code = "trivial_signature"


class SocketError(KioskError):
    status_code = 409


class NotOpen(SocketError):
    code = "not_open"


class AlreadySubmitted(SocketError):
    code = "already_submitted"


class SeatExcused(SocketError):
    code = "excused"


class BadMessage(SocketError):
    status_code = 400
    code = "bad_message"


class RateLimited(SocketError):
    status_code = 429
    code = "rate_limited"


# --- the day's rhythm and corrections before the start -----------------------------------------


class StillOnScreen(Conflict):
    """Another candidate's result is still on the hall display, neither signed nor noted."""

    code = "still_on_screen"


class TooLateToCorrect(Conflict):
    """A correction or removal asked for after the interview (or the sitting) has started."""

    code = "too_late"


class InUse(Conflict):
    """A post still named by an interview cannot be removed or have its code changed."""

    code = "in_use"


class ScoringInProgress(Conflict):
    """An export that would show marks while an interview of the sitting is still being scored."""

    code = "scoring_in_progress"


# --- the server's own trouble ------------------------------------------------------------------


class StorageFull(KioskError):
    """The disk (or the database's size limit) is full: nothing was saved. 507, the server's fault."""

    status_code = 507
    code = "storage_full"


# --- score sheets by element (评分要素) ----------------------------------------------------------


class InvalidCriteria(Unprocessable):
    """A sitting's criteria that cannot make a score sheet (count, codes, names, maxima)."""

    code = "invalid_criteria"


class InvalidParts(Unprocessable):
    """A judge's elements that do not fit the sitting's sheet; over the socket, "invalid_parts"."""

    code = "invalid_parts"


# --- the campaign (DESIGN section 5) -----------------------------------------------------------
#
#   Conflict (409)
#   ├── WindowClosed             outside a batch's application or change window (Beijing dates)
#   ├── NotOffered               the post is not offered in the batch, or has no openings left
#   ├── TooManyApplications      a third live application in one batch
#   ├── AlreadyAppointed         the applicant holds an appointment (an earlier batch, or this one)
#   ├── NotShortlisted           an outcome for an application off the shortlist
#   ├── InspectionFirst          appointing without an inspection passed
#   ├── NoOpeningsLeft           appointing beyond the post's openings left
#   └── HasInterview             changing or withdrawing an application that has an interview
#   Unprocessable (422)
#   ├── InvalidIdNumber          check digit, birth date or sex of a resident ID
#   ├── ReasonRequired           approving an ineligible application without a reason
#   └── ScheduleMissing          no holiday schedule published for a year a period needs


class WindowClosed(Conflict):
    code = "window_closed"


class NotOffered(Conflict):
    code = "not_offered"


class TooManyApplications(Conflict):
    code = "too_many_applications"


class AlreadyAppointed(Conflict):
    code = "already_appointed"


class NotShortlisted(Conflict):
    code = "not_shortlisted"


class InspectionFirst(Conflict):
    code = "inspection_first"


class NoOpeningsLeft(Conflict):
    code = "no_openings_left"


class HasInterview(Conflict):
    code = "has_interview"


class InvalidIdNumber(Unprocessable):
    code = "invalid_id_number"


class ReasonRequired(Unprocessable):
    code = "reason_required"


class ScheduleMissing(Unprocessable):
    code = "schedule_missing"
