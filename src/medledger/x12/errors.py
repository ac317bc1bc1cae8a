"""Errors raised while reading an X12 835 or 837 file, and the warnings it may deserve.

Every refusal names the 1-based segment number where the problem was found, so an operator can
open the file and go straight to it: an ERA is money, and "could not parse" without a place is
useless when a payer must be asked to resend. Every error is an ``X12Error``, so an importer can
catch one type and be sure nothing else (``IndexError``, ``ValueError``...) escapes the parser.
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_SHOWN = 40


def show(value: str) -> str:
    """Quote a value from the file for a one-line message (escaped, and cut if very long)."""
    if len(value) > _MAX_SHOWN:
        value = value[:_MAX_SHOWN] + "..."
    return repr(value)


def one_line(message: str) -> str:
    return message.replace("\r", "\\r").replace("\n", "\\n")


def located(message: str, position: int | None, segment_id: str | None) -> str:
    """``segment 14 (CLP): message``, or the message alone when no segment is known."""
    if position is None:
        return message
    if segment_id:
        return f"segment {position} ({segment_id}): {message}"
    return f"segment {position}: {message}"


class X12Error(Exception):
    """Base of every refusal: ``position`` (segment number or None), ``segment_id``, ``message``.

    ``str()`` gives e.g. ``segment 14 (CLP): CLP03 '12.345' has more than two decimals``.
    """

    def __init__(self, message: str, position: int | None = None, segment_id: str | None = None):
        self.message = one_line(message)
        self.position = position
        self.segment_id = segment_id
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return located(self.message, self.position, self.segment_id)


@dataclass(frozen=True, slots=True)
class X12Warning:
    """Where a file is off but its meaning is clear (an ISA field's width, SE01 one off, IEA02
    not repeating ISA13): the file is read, and this is kept and shown with what it imported,
    never dropped. ``str()`` reads like an ``X12Error``'s."""

    message: str
    position: int | None = None
    segment_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", one_line(self.message))

    def __str__(self) -> str:
        return located(self.message, self.position, self.segment_id)


class MalformedEnvelope(X12Error):
    """The ISA/GS/ST envelope is wrong: bad ISA header, pairing, control numbers or counts."""


class TruncatedFile(MalformedEnvelope):
    """The file ends before the envelope is closed (a missing SE, GE or IEA, or a cut segment)."""


class NotAnERA(X12Error):
    """The file is X12 but not a Health Care Claim Payment/Advice (835), e.g. a 997/999 ack."""


class NotAClaimFile(X12Error):
    """The file is X12 but not a Health Care Claim (837) this reader takes, e.g. an 835."""


class MalformedSegment(X12Error):
    """A segment is in the wrong place, or an element is missing or has a value we cannot use."""


class BadAmount(MalformedSegment):
    """A monetary element is not an exact decimal amount with at most two decimals."""


class BadDate(MalformedSegment):
    """A date element is not a real CCYYMMDD calendar date."""


class BadCode(MalformedSegment):
    """A code element holds a value outside its code list (e.g. CAS01 group 'XX')."""


class ReconciliationError(X12Error):
    """The amounts do not balance; ``difference_cents`` says by how much (signed, in cents)."""

    def __init__(
        self,
        message: str,
        position: int | None,
        segment_id: str | None,
        difference_cents: int,
    ):
        self.difference_cents = difference_cents
        super().__init__(message, position, segment_id)
