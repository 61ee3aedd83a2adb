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
    │   └── TrivialSignature         a blank or scribbled signature
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
