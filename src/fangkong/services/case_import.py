"""Importing case line lists: detect the format, check every row, store in batches.

The file is streamed: rows are parsed and checked in batches of
``settings.import_batch_rows`` while the previous batch is stored
(:mod:`fangkong.store.bulk`), so parsing and storing overlap: on PostgreSQL two writer
threads feed two server backends; on SQLite, whose engine runs inside this process,
the command line parses in a forked child process and stores in the main one, so the
two do not compete for the interpreter lock. Each batch commits on its own, together
with its rejected and repaired rows and the running counts of the ``imports`` row, so
a crash or ``SIGKILL`` loses at most the batches in flight and a re-run completes the
import without duplicates (the merge is keyed on ``(source, case_id)``).

``strict`` makes the import all-or-nothing: everything is written in one transaction,
rolled back at the first rejected row; the remaining rows are still checked so that
every problem is reported.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import json
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, select, update

from fangkong.core.access import CLI_ACTOR, WORLD, Actor, Permission, has_permission
from fangkong.core.cases import CASE_FIELDS
from fangkong.core.importing.case_beoutbreak import BeoutbreakParser
from fangkong.core.importing.case_formats import (
    BEOUTBREAKPREPARED,
    CASE_FORMATS,
    FANGKONG_CASES,
    CaseBatch,
    CaseRowChecker,
    check_fangkong_header,
    check_json_items,
    detect_case_format,
    known_formats,
    load_json,
    parse_fangkong_csv,
)
from fangkong.core.importing.case_gazetteer import Gazetteer
from fangkong.core.importing.case_values import field_rules
from fangkong.core.importing.reading import CsvRow, iter_csv, normalise_header, open_text
from fangkong.core.regions import Region, RegionLevel, RegionTree
from fangkong.core.validation import ImportFormatError, RowIssue
from fangkong.services.errors import Forbidden
from fangkong.services.import_runs import (
    ImportResult,
    RejectWriter,
    finish_import,
    now,
    sha256_of,
    start_import,
    store_issues,
)
from fangkong.settings import Settings
from fangkong.store import models as m
from fangkong.store.bulk import MergeCounts, merge_case_rows
from fangkong.store.origin import Origin, current_origin, set_origin

KIND = "cases"
#: Called after each batch with (bytes read so far, file size in bytes).
Progress = Callable[[int, int], None]


def check_may_import(actor: Actor) -> None:
    for permission in (Permission.IMPORT, Permission.WRITE_CASES):
        if not has_permission(actor.role, permission):
            raise Forbidden(f"user {actor.username} ({actor.role}) may not import case records")


def load_regions(engine: Engine) -> tuple[list[Region], list[tuple[str, str, str]]]:
    with engine.connect() as conn:
        regions = [
            Region(r.region_code, RegionLevel(r.level), r.parent_code, r.name_zh, r.name_en)
            for r in conn.execute(select(m.RegionRow)).all()
        ]
        aliases = [
            (a.alias, a.region_code, a.scheme) for a in conn.execute(select(m.RegionAliasRow)).all()
        ]
    return regions, aliases


def _raw_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(fields)
    return buf.getvalue().rstrip("\r\n")


def _is_json(binary: IO[bytes]) -> bool:
    head = binary.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    binary.seek(0)
    return head[:1] in (b"[", b"{")


class _Writer:
    """Stores batches in worker threads, each on its own connection.

    PostgreSQL gets two workers (two server backends merge two batches at once while
    the importing thread parses the next); SQLite, whose writers exclude each other,
    and strict imports (one transaction) get one. Every batch is its own transaction:
    its rows, its issues and the running counts of the ``imports`` row (incremented in
    SQL, so concurrent batches add up) commit together. Batches may commit out of
    order; a re-run after a crash fills whatever is missing.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        result: ImportResult,
        header: list[str],
        actor: Actor,
        *,
        strict: bool,
        inline: bool = False,
    ) -> None:
        self.result = result
        self.actor = actor
        self.strict = strict
        self.failed_strict = False
        self._outer: Any = None
        self.rejects = RejectWriter(settings.var_dir, result, header)
        self.reason = f"re-imported from {Path(result.filename).name} (import #{result.import_id})"
        workers = 2 if engine.dialect.name == "postgresql" and not strict else 1
        self._inline: Connection | None = None
        if inline and workers == 1:
            # Parsing runs in another process: storing here avoids handing batches
            # between threads that would fight over the interpreter lock.
            self._inline = engine.connect()
            workers = 0
            if strict:
                self._outer = self._inline.begin()
        self._lock = threading.Lock()
        self._queue: queue.Queue[CaseBatch | None] = queue.Queue(maxsize=workers)
        self._error: BaseException | None = None
        self._assume_new = True
        self._conns: list[Connection] = [engine.connect() for _ in range(workers)]
        # The workers act for the caller: the audit log attributes their batches to the
        # caller's user or command (store/origin.py), not to a nameless thread.
        origin = current_origin()
        self._threads = [
            threading.Thread(
                target=self._run_as,
                args=(origin, conn),
                name=f"case-import-{n}",
                daemon=True,
            )
            for n, conn in enumerate(self._conns)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, batch: CaseBatch) -> None:
        if self._error is not None:
            raise self._error
        if self._inline is not None:
            try:
                self._store(self._inline, batch)
            except BaseException as exc:
                self._error = exc
                if self._outer is not None and self._outer.is_active:
                    self._outer.rollback()
                raise
            return
        self._queue.put(batch)

    def close(self) -> None:
        if self._inline is not None:
            try:
                if self._outer is not None and self._error is None:
                    self._outer.commit()
            finally:
                self.rejects.close()
                self._inline.close()
            return
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self.rejects.close()
        for conn in self._conns:
            conn.close()
        if self._error is not None:
            raise self._error

    def _run_as(self, origin: Origin, conn: Connection) -> None:
        set_origin(lambda: origin)
        self._run(conn)

    def _run(self, conn: Connection) -> None:
        try:
            if self.strict:
                self._outer = conn.begin()
            while True:
                batch = self._queue.get()
                if batch is None:
                    break
                if self._error is None:
                    self._store(conn, batch)
            if self._outer is not None:
                self._outer.commit()
        except BaseException as exc:  # re-raised in the importing thread
            self._error = exc
            if self._outer is not None and self._outer.is_active:
                self._outer.rollback()
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass

    def _store(self, conn: Connection, batch: CaseBatch) -> None:
        result = self.result
        if self.strict and batch.rejects and not self.failed_strict:
            self.failed_strict = True
            self._outer.rollback()
            self._outer = None
        writes_data = not self.failed_strict
        counts = MergeCounts()
        transaction = conn.begin() if self._outer is None else None
        try:
            if writes_data and batch.rows:
                counts = merge_case_rows(
                    conn,
                    batch.rows,
                    import_id=result.import_id,
                    actor=self.actor.username,
                    reason=self.reason,
                    when=now(),
                    assume_new=self._assume_new,
                )
                self._assume_new = counts.inserted == len(batch.rows)
            issues: list[RowIssue] = []
            raws: list[str | None] = []
            with self._lock:
                for fields, row_issues in batch.rejects:
                    raw = _raw_line(fields)
                    issues.extend(row_issues)
                    raws.extend([raw] * len(row_issues))
                    self.rejects.write(fields, row_issues)
                issues.extend(batch.repairs)
                raws.extend([None] * len(batch.repairs))
                store_issues(conn, result, issues, raws)
                result.rows_read += batch.rows_read
                result.rows_rejected += len(batch.rejects)
                result.rows_inserted += counts.inserted
                result.rows_updated += counts.updated
                result.rows_unchanged += counts.unchanged
                result.revisions += counts.revisions
            if transaction is not None:
                row = m.ImportRow
                conn.execute(
                    update(row)
                    .where(row.id == result.import_id)
                    .values(
                        rows_read=row.rows_read + batch.rows_read,
                        rows_inserted=row.rows_inserted + counts.inserted,
                        rows_updated=row.rows_updated + counts.updated,
                        rows_unchanged=row.rows_unchanged + counts.unchanged,
                        rows_rejected=row.rows_rejected + len(batch.rejects),
                        reject_file=result.reject_file,
                    )
                )
                transaction.commit()
        except BaseException:
            if transaction is not None and transaction.is_active:
                transaction.rollback()
            raise


def _interrupted_runs(engine: Engine, sha256: str, import_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(m.ImportRow.id).where(
                    m.ImportRow.sha256 == sha256,
                    m.ImportRow.kind == KIND,
                    m.ImportRow.status == "running",
                    m.ImportRow.id != import_id,
                )
            ).scalars()
        )


def import_case_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    *,
    format_name: str | None = None,
    source: str | None = None,
    strict: bool = False,
    actor: Actor = CLI_ACTOR,
    progress: Progress | None = None,
    filename: str | None = None,
    parallel: bool | None = None,
) -> ImportResult:
    """Import the case line list at ``path`` (see :func:`import_case_stream`);
    ``filename`` is the name recorded (an upload's original name), default ``path``."""
    try:
        binary = path.open("rb")
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with binary:
        return import_case_stream(
            engine,
            settings,
            binary,
            filename or str(path),
            format_name=format_name,
            source=source,
            strict=strict,
            actor=actor,
            progress=progress,
            parallel=parallel,
        )


def import_case_stream(
    engine: Engine,
    settings: Settings,
    binary: IO[bytes],
    filename: str,
    *,
    format_name: str | None = None,
    source: str | None = None,
    strict: bool = False,
    actor: Actor = CLI_ACTOR,
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> ImportResult:
    """Import a case line list from a seekable binary stream.

    ``parallel`` parses in a forked child process (default: for SQLite, when this
    process is single-threaded, as the command line is).

    Raises :class:`ImportFormatError` when the file as a whole cannot be read (unknown
    layout, encoding, empty) and :class:`Forbidden` when ``actor`` may not import
    cases. Row problems never raise: they are counted, stored and written to the
    reject file; ``result.ok`` is false when any row was rejected."""
    check_may_import(actor)
    if format_name is not None and format_name not in CASE_FORMATS:
        raise ImportFormatError(f"unknown format {format_name!r}; known formats: {known_formats()}")
    sha256 = sha256_of(binary)
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(0)
    is_json = _is_json(binary)
    text, encoding = open_text(binary)
    file = Path(filename).name
    regions, aliases = load_regions(engine)
    known = frozenset(r.region_code for r in regions)
    allowed: Callable[[str], bool] | None = None
    if actor.jurisdiction != WORLD:
        tree = RegionTree.from_regions(regions)
        jurisdiction = actor.jurisdiction

        def allowed(code: str) -> bool:
            return tree.is_within(code, jurisdiction)

    rules = field_rules(known, date.today(), allowed)
    batch_rows = max(1, settings.import_batch_rows)

    batches: Iterator[CaseBatch]
    if is_json:
        fmt = format_name or FANGKONG_CASES
        if fmt != FANGKONG_CASES:
            raise ImportFormatError(f"JSON files are read as {FANGKONG_CASES}, not {fmt}")
        items = load_json(text)
        checker = CaseRowChecker(rules, CASE_FIELDS, file=file, default_source=source)
        header = ["item"]
        batches = iter([check_json_items(items, checker)])
    else:
        reader = csv.reader(text)
        try:
            first = next(reader)
        except StopIteration:
            raise ImportFormatError("the file is empty") from None
        except csv.Error as exc:
            raise ImportFormatError(f"line 1: malformed CSV header ({exc})") from exc
        header = normalise_header(first)
        detected = detect_case_format(header) if format_name is None else format_name
        if format_name is not None:
            needed = [c for c in CASE_FORMATS[format_name] if c not in header]
            if needed:
                raise ImportFormatError(
                    f"the header lacks the {format_name} column(s) {', '.join(needed)}"
                )
        fmt = detected
        if fmt == FANGKONG_CASES:
            check_fangkong_header(header, default_source=source)
            checker = CaseRowChecker(rules, header, file=file, default_source=source)
            batches = parse_fangkong_csv(reader, header, checker, batch_rows=batch_rows)
        elif fmt == BEOUTBREAKPREPARED:
            checker = CaseRowChecker(rules, CASE_FIELDS, file=file, default_source=None)
            parser = BeoutbreakParser(header, Gazetteer(regions, aliases), checker)
            offset = reader.line_num  # physical lines of the header, already read
            rows = (CsvRow(r.line + offset, r.fields, r.error) for r in iter_csv(text))
            batches = parser.parse(rows, batch_rows)
        else:  # pragma: no cover - CASE_FORMATS and this dispatch list the same names
            raise ImportFormatError(f"no parser for {fmt}")

    result = start_import(
        engine, kind=KIND, format_name=fmt, filename=filename, sha256=sha256, actor=actor.username
    )
    result.encoding = encoding
    earlier = _interrupted_runs(engine, sha256, result.import_id)
    if earlier:
        result.notes.append(
            "import(s) " + ", ".join(f"#{i}" for i in earlier) + " of the same file did not "
            "finish (interrupted?); rows they committed are kept and this run completes them"
        )
    # The cyclic garbage collector would walk every row of the batches in flight again
    # and again (they are container objects); nothing here creates cycles.
    collecting = gc.isenabled()
    gc.disable()
    if parallel is None:
        # SQLite does its work inside this process, so parsing elsewhere frees the
        # interpreter for it; PostgreSQL works in its own server processes already.
        parallel = engine.dialect.name == "sqlite" and _may_fork()
    parsed = _parse_in_child(batches, binary) if parallel else _parse_here(batches, binary)
    writer = _Writer(engine, settings, result, header, actor, strict=strict, inline=parallel)
    try:
        try:
            for batch, position in parsed:
                writer.put(batch)
                if progress is not None:
                    progress(min(position, size), size)
        finally:
            parsed.close()
            writer.close()
            if collecting:
                gc.enable()
    except ImportFormatError as exc:
        result.notes.append(str(exc))
        finish_import(engine, result, "failed")
        raise
    except BaseException as exc:
        result.notes.append(f"failed: {exc}")
        finish_import(engine, result, "failed")
        raise
    if not result.rows_read:
        result.notes.append("the file holds no case: nothing was imported")
        finish_import(engine, result, "failed")
        what = "no case object" if is_json else "a header but no data rows"
        raise ImportFormatError(f"the file has {what}")
    if writer.failed_strict:
        result.notes.append("strict import: rows were rejected, so nothing was written")
        result.rows_inserted = result.rows_updated = result.rows_unchanged = 0
        result.revisions = 0
        return finish_import(engine, result, "rejected")
    if progress is not None:
        progress(size, size)
    return finish_import(engine, result, "completed")


def _may_fork() -> bool:
    """Forking is safe only from a single-threaded process (the command line); a
    server handles imports in its worker threads instead."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


def _parse_here(
    batches: Iterator[CaseBatch], binary: IO[bytes]
) -> Generator[tuple[CaseBatch, int], None, None]:
    for batch in batches:
        yield batch, _tell(binary)


def _parse_in_child(
    batches: Iterator[CaseBatch], binary: IO[bytes]
) -> Generator[tuple[CaseBatch, int], None, None]:
    """Parse and check in a forked child process, which sends each batch through a pipe.

    CPU-bound parsing then runs on its own core, free of the interpreter lock, while
    this process stores batches. The child owns the file from the fork on and touches
    no database; it stops when the pipe breaks (this process died or gave up) and
    leaves through ``os._exit`` so that nothing inherited is finalised twice."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        receiver.close()
        try:
            for batch in batches:
                # Rows travel as one tab-separated text (checked cells never hold tabs
                # or newlines): far cheaper to send and split than to pickle each cell.
                text = "\n".join(["\t".join(row) for row in batch.rows])
                batch.rows = []
                sender.send(("batch", (batch, text), _tell(binary)))
            sender.send(("done", None, 0))
        except (BrokenPipeError, OSError):
            pass
        except BaseException as exc:  # reported to the parent, which raises it
            with contextlib.suppress(BrokenPipeError, OSError):
                sender.send(("error", exc if _picklable(exc) else RuntimeError(repr(exc)), 0))
        finally:
            os._exit(0)

    process = context.Process(target=child, name="case-import-parser", daemon=True)
    process.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload, position = receiver.recv()
            except EOFError:
                raise RuntimeError("the parsing process ended unexpectedly") from None
            if kind == "done":
                return
            if kind == "error":
                raise payload
            batch, text = payload
            if text:
                batch.rows = [line.split("\t") for line in text.split("\n")]
            yield batch, position
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.dumps(exc)
    except Exception:
        return False
    return True


def _tell(binary: IO[bytes]) -> int:
    try:
        return binary.tell()
    except (OSError, ValueError):
        return 0


def result_summary(result: ImportResult) -> str:
    """One line for people: what was read, stored, changed and rejected."""
    return (
        f"import #{result.import_id} {result.status}: {result.rows_read:,} rows read, "
        f"{result.rows_inserted:,} inserted, {result.rows_updated:,} updated "
        f"({result.revisions:,} revisions), {result.rows_unchanged:,} unchanged, "
        f"{result.rows_rejected:,} rejected, {result.rows_repaired:,} repairs"
    )


def result_json(result: ImportResult) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, default=str)
