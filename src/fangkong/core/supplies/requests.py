"""Status of a hospital's supply request, derived from its line quantities.

The status is never typed in: it follows from how far every line has got. Per line,
``requested`` (what the hospital asks, base units), ``submitted`` (None until the
request is sent), ``approved`` (None until the command decides; 0 is a refusal),
``committed`` (reserved in a plan), ``shipped`` and ``received``. They must satisfy
``received <= shipped <= committed <= approved <= submitted``.

Order of statuses: draft → submitted → approved → committed → shipped → received; a
request whose every line was approved at 0 is ``rejected``. A later status is reached
only when *every* line reached it for its full approved quantity; the partial progress
of the next step is reported separately (:func:`progress`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    COMMITTED = "committed"
    SHIPPED = "shipped"
    RECEIVED = "received"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class LineQuantities:
    requested: int
    submitted: int | None = None
    approved: int | None = None
    committed: int = 0
    shipped: int = 0
    received: int = 0

    def check(self) -> list[str]:
        """Broken invariants, in words (empty when consistent)."""
        errors: list[str] = []
        if self.requested <= 0:
            errors.append("requested must be > 0")
        chain: list[tuple[str, int | None]] = [
            ("submitted", self.submitted),
            ("approved", self.approved),
            ("committed", self.committed),
            ("shipped", self.shipped),
            ("received", self.received),
        ]
        for name, value in chain:
            if value is not None and value < 0:
                errors.append(f"{name} must not be negative")
        if self.submitted is not None and self.submitted != self.requested:
            errors.append("submitted must equal requested")
        if self.submitted is None and (self.approved is not None or self.committed):
            errors.append("a line must be submitted before it is approved or committed")
        if (
            self.approved is not None
            and self.submitted is not None
            and self.approved > self.submitted
        ):
            errors.append("approved must not exceed submitted")
        cap = self.approved if self.approved is not None else 0
        if self.committed > cap:
            errors.append("committed must not exceed approved")
        if self.shipped > self.committed:
            errors.append("shipped must not exceed committed")
        if self.received > self.shipped:
            errors.append("received must not exceed shipped")
        return errors


def derive_status(lines: Sequence[LineQuantities]) -> RequestStatus:
    """The request's status from its lines (see the module docstring)."""
    if not lines or any(line.submitted is None for line in lines):
        return RequestStatus.DRAFT
    if any(line.approved is None for line in lines):
        return RequestStatus.SUBMITTED
    approved = [line.approved or 0 for line in lines]
    if sum(approved) == 0:
        return RequestStatus.REJECTED
    if all(line.received >= a for line, a in zip(lines, approved, strict=True)):
        return RequestStatus.RECEIVED
    if all(line.shipped >= a for line, a in zip(lines, approved, strict=True)):
        return RequestStatus.SHIPPED
    if all(line.committed >= a for line, a in zip(lines, approved, strict=True)):
        return RequestStatus.COMMITTED
    return RequestStatus.APPROVED


def progress(lines: Sequence[LineQuantities]) -> dict[str, float]:
    """Fraction of the approved quantity committed, shipped and received."""
    approved = sum(line.approved or 0 for line in lines)
    if approved == 0:
        return {"committed": 0.0, "shipped": 0.0, "received": 0.0}
    return {
        "committed": sum(line.committed for line in lines) / approved,
        "shipped": sum(line.shipped for line in lines) / approved,
        "received": sum(line.received for line in lines) / approved,
    }
