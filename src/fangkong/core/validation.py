"""Row-level validation results shared by every importer.

An import never stops at the first bad row: each problem becomes a :class:`RowIssue`
naming the file, the 1-based physical line, the column, the offending value and the
reason, so that a reporter can fix the source and re-run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A problem with one row. ``severity`` is ``error`` (row rejected) or ``repair``
    (row accepted after a documented change, e.g. a date range reduced to its end)."""

    file: str
    line: int
    column: str
    value: str
    reason: str
    severity: str = "error"

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: column {self.column!r} value {self.value!r}: {self.reason}"
        )


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (unknown layout, undecodable, empty)."""
