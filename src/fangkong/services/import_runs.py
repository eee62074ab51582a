"""Bookkeeping shared by every import: the ``imports`` row, rejected rows, reject files.

An import is recorded before any data is written (status ``running``) and closed with
its counts (``completed`` or ``failed``). Every rejected or repaired row is kept in
``import_issues`` and, for rejected rows, in a reject file beside the data directory:
the original fields plus the line, column, value and reason, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, insert, select, update

from fangkong.core.privacy.csv_safety import SafeWriter
from fangkong.core.validation import RowIssue
from fangkong.store import audit
from fangkong.store import models as m

#: How many issues an import report carries inline (all are stored).
REPORT_ISSUES = 200


@dataclass(slots=True)
class ImportResult:
    import_id: int
    kind: str
    format: str
    filename: str
    encoding: str = "utf-8"
    status: str = "running"
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0
    revisions: int = 0
    reject_file: str | None = None
    notes: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "completed" and self.rows_rejected == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def start_import(
    engine: Engine, *, kind: str, format_name: str, filename: str, sha256: str, actor: str
) -> ImportResult:
    with engine.begin() as conn:
        import_id = conn.execute(
            insert(m.ImportRow)
            .values(
                kind=kind,
                format=format_name,
                filename=filename,
                sha256=sha256,
                actor=actor,
                status="running",
                started_at=now(),
                rows_read=0,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                rows_rejected=0,
            )
            .returning(m.ImportRow.id)
        ).scalar_one()
    return ImportResult(int(import_id), kind, format_name, filename)


def store_issues(
    conn: Any,
    result: ImportResult,
    issues: Sequence[RowIssue],
    raws: Sequence[str | None] | None = None,
) -> None:
    """Keep ``issues`` (in the caller's transaction) and add them to the report."""
    if not issues:
        return
    rows = [
        {
            "import_id": result.import_id,
            "line": i.line,
            "column": i.column,
            "value": i.value[:2000],
            "reason": i.reason,
            "severity": i.severity,
            "raw": (raws[n] if raws else None),
        }
        for n, i in enumerate(issues)
    ]
    conn.execute(insert(m.ImportIssueRow), rows)
    for issue in issues:
        if issue.severity == "repair":
            result.rows_repaired += 1
        if len(result.issues) < REPORT_ISSUES:
            result.issues.append(asdict(issue))


def finish_import(engine: Engine, result: ImportResult, status: str) -> ImportResult:
    """Close the import with its counts, and record ``import.run`` in the audit log in
    the same transaction (the file's SHA-256, its counts and the outcome)."""
    result.status = status
    with engine.begin() as conn:
        row = conn.execute(
            select(m.ImportRow.sha256, m.ImportRow.actor).where(m.ImportRow.id == result.import_id)
        ).one()
        audit.note(
            conn,
            "import.run",
            "import",
            str(result.import_id),
            {
                "kind": result.kind,
                "format": result.format,
                "filename": result.filename,
                "sha256": row.sha256,
                "status": status,
                "rows_read": result.rows_read,
                "rows_inserted": result.rows_inserted,
                "rows_updated": result.rows_updated,
                "rows_unchanged": result.rows_unchanged,
                "rows_rejected": result.rows_rejected,
                "revisions": result.revisions,
            },
            actor=row.actor,
        )
        conn.execute(
            update(m.ImportRow)
            .where(m.ImportRow.id == result.import_id)
            .values(
                status=status,
                finished_at=now(),
                rows_read=result.rows_read,
                rows_inserted=result.rows_inserted,
                rows_updated=result.rows_updated,
                rows_unchanged=result.rows_unchanged,
                rows_rejected=result.rows_rejected,
                reject_file=result.reject_file,
                summary=json.dumps(
                    {
                        "encoding": result.encoding,
                        "notes": result.notes,
                        "rows_repaired": result.rows_repaired,
                        "revisions": result.revisions,
                    },
                    ensure_ascii=False,
                ),
            )
        )
    return result


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
#: Injection"): =, +, -, @, tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> str:
    """A cell of a CSV file meant to be opened in a spreadsheet: a text starting like a
    formula is prefixed with ``'`` (OWASP's advice), so that opening the file runs
    nothing; the original text follows the quote unchanged."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class RejectWriter:
    """Writes rejected rows, with their reasons, to ``<var_dir>/rejects/<import>-<name>``.

    The file is created on the first rejected row only. It is downloaded from the
    console and opened in a spreadsheet, so every cell goes through
    :func:`spreadsheet_safe` (a rejected cell may be a formula: ``=cmd|' /C calc'!A0``)."""

    def __init__(self, var_dir: Path, result: ImportResult, header: Sequence[str]) -> None:
        self._path = var_dir / "rejects" / f"{result.import_id}-{Path(result.filename).name}"
        if self._path.suffix.lower() != ".csv":
            self._path = self._path.with_suffix(self._path.suffix + ".csv")
        self._header = list(header)
        self._result = result
        self._fh: IO[str] | None = None
        self._writer: Any = None

    def write(self, fields: Iterable[str], issues: Sequence[RowIssue]) -> None:
        if self._writer is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self._path.open("w", encoding="utf-8", newline="")
            self._writer = SafeWriter(self._fh)
            self._writer.writerow([*self._header, "_line", "_column", "_value", "_reason"])
            self._result.reject_file = str(self._path)
        first = issues[0]
        reasons = "; ".join(f"{i.column}: {i.reason}" for i in issues)
        row = [*fields, first.line, first.column, first.value, reasons]
        self._writer.writerow([spreadsheet_safe(c) for c in row])

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
