"""Hostile files and bodies through the API and the console's upload path.

The corpus of ``tests/fixtures/hostile`` (and the big files made at test time) is posted
to ``POST /api/v1/imports/daily|cases`` (multipart, as the console's import page does)
and ``POST /api/v1/imports/bulletin``. A file that cannot be read is a 422 RFC 9457
problem whose ``errors`` name the ``file``; a file with bad rows is imported with its
rejected rows listed (line, column, value, reason); a body over its limit is a 413
problem; nothing is a 500. Stored data stays intact and a re-post duplicates nothing.
Hostile JSON bodies (100,000 nested arrays, NaN, over-long numbers) sent to the JSON
endpoints are 4xx problems too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from fangkong.api.app import create_app
from fangkong.api.limits import DEFAULT_BODY_BYTES, MAX_UPLOAD_BYTES, body_limit
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA, PASSWORD, bearer, problem

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
BIG = 10 * 1024 * 1024
UNREADABLE = [
    "empty.csv",
    "image.png",
    "archive.zip",
    "nul_bytes.csv",
    "daily_utf16le.csv",
    "daily_utf16le_bom.csv",
    "daily_latin1.csv",
    "cases_shift_jis.csv",
]
JSON_REFUSED = ["duplicate_keys.json", "nan.json", "huge_numbers.json"]
REFUSED = {
    kind: [
        *UNREADABLE,
        f"{kind}_header_only.csv",
        *(f"{kind}_{name}" for name in JSON_REFUSED),
        "deep.json",
    ]
    for kind in ("daily", "cases")
}
ROWS = {
    "daily": {
        "daily_truncated_mid_row.csv": [(5, "*")],
        "daily_truncated_mid_char.csv": [(4, "*")],
        "daily_formulas.csv": [(3, "new_confirmed"), (4, "new_confirmed"), (5, "new_confirmed")],
        "daily_huge_field.csv": [(3, "*")],
    },
    "cases": {
        "cases_formulas.csv": [(3, "case_id"), (4, "origin"), (5, "origin"), (6, "origin")],
        "cases_huge_field.csv": [(3, "*")],
    },
}


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, bytes]:
    """Every corpus file by name: the committed ones and the big ones made here."""
    files = {p.name: p.read_bytes() for p in HOSTILE.iterdir() if p.suffix != ".md"}
    head = b"region_code,report_date,new_confirmed,new_deaths\n"
    files["daily_huge_field.csv"] = (
        head + b"420100,2020-02-10,100,5\n420100,2020-02-11," + b"9" * BIG + b",4\n"
        b"420100,2020-02-12,13436,72\n"
    )
    files["cases_huge_field.csv"] = (
        b"source,case_id,region_code,classification,origin\n"
        b"hubei-cdc,1,420100,confirmed,Wuhan\nhubei-cdc,2,420100,confirmed," + b"x" * BIG + b"\n"
        b"hubei-cdc,3,420100,confirmed,Xiaogan\n"
    )
    files["deep.json"] = b"[" * 100_000 + b"]" * 100_000
    return files


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        yield c


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def upload(client: TestClient, kind: str, name: str, data: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/imports/{kind}", headers=headers, files={"file": (name, data, "text/csv")}
    )


def check_refused(answer: Any, name: str) -> None:
    body = problem(answer, 422)
    assert body["errors"][0]["parameter"] == "file", body
    assert name in body["detail"] and "\n" not in body["detail"], body


def check_rows(answer: Any, name: str, expected: list[tuple[int, str]]) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    assert report["status"] == "completed" and report["filename"] == name
    assert report["rows_rejected"] == len(expected)
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    assert sorted({(i["line"], i["column"]) for i in errors}) == sorted(expected)
    assert all(i["file"] == name and i["reason"] and isinstance(i["value"], str) for i in errors)
    return report


@pytest.mark.parametrize("kind", ["daily", "cases"])
def test_hostile_uploads(
    client: TestClient, engine: Engine, settings: Settings, corpus: dict[str, bytes], kind: str
) -> None:
    headers = bearer(engine, "admin", "admin", "CN")
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    stored = count(engine, m.DailyReportRow)
    for name in REFUSED[kind]:
        imports = count(engine, m.ImportRow)
        check_refused(upload(client, kind, name, corpus[name], headers), name)
        if kind == "daily":  # refused before anything is recorded
            assert count(engine, m.ImportRow) == imports
    table = m.DailyReportRow if kind == "daily" else m.CaseRecordRow
    for name, expected in ROWS[kind].items():
        first = check_rows(upload(client, kind, name, corpus[name], headers), name, expected)
        rows = count(engine, table)
        again = check_rows(upload(client, kind, name, corpus[name], headers), name, expected)
        assert again["rows_inserted"] == 0 and count(engine, table) == rows
        paged = client.get(f"/api/v1/imports/{first['import_id']}", headers=headers).json()
        assert paged["issues"]["total"] >= len(expected)  # every rejected row is kept
    assert count(engine, m.DailyReportRow) >= stored
    page = client.get("/api/v1/regions/420000/daily?from=2020-02-12&to=2020-02-12").json()
    assert page["items"][0]["new_confirmed"] == 14840  # the data stored before is intact


def test_console_upload_with_a_session(client: TestClient, engine: Engine) -> None:
    """The console posts with its session cookie and CSRF token: same answers."""
    bearer(engine, "console.admin", "admin", "CN")
    login = client.post("/api/v1/session", json={"username": "console.admin", "password": PASSWORD})
    assert login.status_code == 200, login.text
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    png = (HOSTILE / "image.png").read_bytes()
    check_refused(upload(client, "daily", "image.png", png, csrf), "image.png")
    formulas = (HOSTILE / "cases_formulas.csv").read_bytes()
    check_rows(
        upload(client, "cases", "cases_formulas.csv", formulas, csrf),
        "cases_formulas.csv",
        ROWS["cases"]["cases_formulas.csv"],
    )


def test_hostile_bulletins(client: TestClient, engine: Engine) -> None:
    headers = {**bearer(engine, "admin", "admin", "CN"), "Content-Type": "text/plain"}
    post = "/api/v1/imports/bulletin?dry_run=false"
    for name in UNREADABLE:
        data = (HOSTILE / name).read_bytes()
        body = problem(client.post(post, headers=headers, content=data), 422)
        assert body["errors"][0]["parameter"] in ("file", "text"), body
    cut = (HOSTILE / "nhc_2020-02-13_truncated.txt").read_bytes()
    too_big = problem(client.post(post, headers=headers, content=cut * (BIG // len(cut))), 413)
    assert "larger than" in too_big["detail"]
    for _ in range(2):
        answer = client.post(
            post + "&filename=nhc_2020-02-13_truncated.txt", headers=headers, content=cut
        )
        assert answer.status_code == 200, answer.text
        read = answer.json()
        assert read["new_confirmed"] == 5090 and read["damaged"]
        assert any("undecodable" in f for f in read["flags"])
    assert count(engine, m.DailyReportRow) == read["stored"]["reports"]  # stored once


def test_hostile_json_bodies(client: TestClient, engine: Engine) -> None:
    headers = {**bearer(engine, "admin", "admin", "CN"), "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/api/v1/daily", "/api/v1/cases", "/api/v1/imports/bulletin"):
        answer = client.post(path, headers=headers, content=deep)
        assert answer.status_code in (400, 422), (path, answer.text)
        problem(answer, answer.status_code)
    nan = b'{"items": [{"region_code": "420100", "report_date": "2020-02-12", "new_deaths": NaN}]}'
    body = problem(client.post("/api/v1/daily", headers=headers, content=nan), 422)
    assert body["errors"][0]["pointer"] == "/items/0/new_deaths"
    long = b'{"text": "x", "dry_run": ' + b"1" * 5000 + b"}"
    problem(client.post("/api/v1/imports/bulletin", headers=headers, content=long), 422)
    assert count(engine, m.DailyReportRow) == 0


def test_bodies_over_their_limit_are_413_problems(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    headers = {**bearer(engine, "admin", "admin", "CN"), "Content-Type": "application/json"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b"["
        for _ in range(DEFAULT_BODY_BYTES // (1 << 20) + 1):
            yield b"1," * (1 << 19)
        yield b"1]"

    body = problem(client.post("/api/v1/cases", headers=headers, content=chunks()), 413)
    assert body["title"] == "Payload too large"
    assert body_limit("/api/v1/imports/daily") > MAX_UPLOAD_BYTES
    # A declared length over the limit is refused before a byte of the body is read.
    app = client.app
    answers: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/imports/cases",
        "raw_path": b"/api/v1/imports/cases",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
        "headers": [
            (b"content-length", str(MAX_UPLOAD_BYTES * 2).encode()),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ],
    }

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        answers.append(message)

    async def call() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    anyio.run(call)
    assert answers[0]["status"] == 413
    assert (b"content-type", b"application/problem+json") in answers[0]["headers"]
    assert settings.var_dir.joinpath("uploads").exists() is False  # nothing spooled
