"""``GET /api/v1/imports/{id}`` and personal data, on both databases: the rejected
cells of a line-list import may be personal fields (an exact age, an address in
``origin``, an unknown JSON key such as a name, a whole row); a reader without
``read_personal`` (a commander) gets them masked, a reader with it (an epidemiologist)
gets them and the read is an ``import.read_personal`` audit entry; ``personal=false``
masks for anyone, unaudited; daily-report imports hold nothing personal."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from fangkong.api.app import create_app
from fangkong.core.cases import CASE_FIELDS
from fangkong.settings import Settings
from fangkong.store import audit as hook
from support import bearer, problem

AGE = "150"
ADDRESS = "@张三 武昌区中山路12号"
NAME = "李四"


def good(i: int, **values: str) -> dict[str, str]:
    return {
        "source": "cdc",
        "case_id": f"c{i}",
        "region_code": "420106",
        "classification": "confirmed",
        "onset_date": "2020-01-20",
        **values,
    }


def line_list() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CASE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in (
        good(1, age_years="61"),  # line 2: stored
        good(2, age_years=AGE),  # line 3: age above 120
        good(3, origin=ADDRESS),  # line 4: starts like a formula
        good(4, onset_date="2020-02-30"),  # line 5: not personal
        good(5, health_worker="医生?"),  # line 6: not yes/no
    ):
        writer.writerow(row)
    out.write("cdc,c6,420106\n")  # line 7: truncated (column "*")
    return out.getvalue().encode()


def audit_actions(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(hook.LOG).where(hook.LOG.c.action == action).order_by(hook.LOG.c.id)
        ).all()
    return [{**r._mapping, "details": json.loads(r.details)} for r in rows]


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def upload(client: TestClient, headers: dict[str, str], name: str, data: bytes) -> int:
    answer = client.post(
        "/api/v1/imports/cases", headers=headers, files={"file": (name, data, "text/csv")}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["import_id"])


def test_rejected_personal_values_are_masked_or_audited(client: TestClient, engine: Engine) -> None:
    epi = bearer(engine, "epi.hubei", "epidemiologist", "420000")
    cmd = bearer(engine, "cmd.hubei", "commander", "420000")
    import_id = upload(client, epi, "cases.csv", line_list())
    path = f"/api/v1/imports/{import_id}"

    masked = client.get(path, headers=cmd)
    assert masked.status_code == 200, masked.text
    items = masked.json()["issues"]["items"]
    by_line = {i["line"]: i for i in items}
    assert [i["line"] for i in items] == [3, 4, 5, 6, 7]
    for line, column in ((3, "age_years"), (4, "origin"), (6, "health_worker"), (7, "*")):
        assert by_line[line]["column"] == column
        assert by_line[line]["value"] is None and by_line[line]["masked"] is True
        assert by_line[line]["reason"]  # the reason stays: the importer can fix the file
    assert by_line[5]["value"] == "2020-02-30" and by_line[5]["masked"] is False
    assert AGE not in masked.text and "张三" not in masked.text and "医生" not in masked.text
    assert audit_actions(engine, "import.read_personal") == []

    shown = client.get(path, headers=epi).json()["issues"]["items"]
    values = {i["line"]: i["value"] for i in shown}
    assert values == {3: AGE, 4: ADDRESS, 5: "2020-02-30", 6: "医生?", 7: "3"}
    assert not any(i["masked"] for i in shown)
    (read,) = audit_actions(engine, "import.read_personal")
    assert read["actor"] == "epi.hubei" and read["target_id"] == str(import_id)
    assert read["details"]["count"] == 4 and read["details"]["lines"] == [3, 4, 6, 7]
    assert read["details"]["columns"] == ["*", "age_years", "health_worker", "origin"]
    assert AGE not in json.dumps(read["details"]) and "张三" not in json.dumps(read["details"])

    # a page without personal values is not a personal read
    page = client.get(path, params={"offset": 2, "limit": 1}, headers=epi).json()
    assert page["issues"]["items"][0]["line"] == 5
    assert len(audit_actions(engine, "import.read_personal")) == 1
    # personal=false: masked for anyone, nothing recorded
    quiet = client.get(path, params={"personal": "false"}, headers=epi).json()["issues"]["items"]
    assert [i["masked"] for i in quiet] == [True, True, False, True, True]
    assert len(audit_actions(engine, "import.read_personal")) == 1
    # viewers may not read import reports at all
    problem(client.get(path, headers=bearer(engine, "viewer", "viewer", "420000")), 403)


def test_unknown_json_keys_are_masked(client: TestClient, engine: Engine) -> None:
    """A JSON key the importer does not know may be anything, a name for instance."""
    epi = bearer(engine, "epi.hubei", "epidemiologist", "420000")
    cmd = bearer(engine, "cmd.hubei", "commander", "420000")
    data = json.dumps([{**good(1), "name": NAME}], ensure_ascii=False).encode()
    import_id = upload(client, epi, "cases.json", data)
    (issue,) = client.get(f"/api/v1/imports/{import_id}", headers=cmd).json()["issues"]["items"]
    assert issue["column"] == "name" and issue["value"] is None and issue["masked"] is True
    (issue,) = client.get(f"/api/v1/imports/{import_id}", headers=epi).json()["issues"]["items"]
    assert issue["value"] == NAME and issue["masked"] is False


def test_daily_report_issues_are_not_masked(client: TestClient, engine: Engine) -> None:
    epi = bearer(engine, "epi.hubei", "epidemiologist", "420000")
    cmd = bearer(engine, "cmd.hubei", "commander", "420000")
    daily = "region_code,report_date,new_confirmed\n420100,2020-02-12,13436\n999999,2020-02-12,5\n"
    answer = client.post(
        "/api/v1/imports/daily", headers=epi, files={"file": ("d.csv", daily.encode(), "text/csv")}
    )
    assert answer.status_code == 200, answer.text
    report = client.get(f"/api/v1/imports/{answer.json()['import_id']}", headers=cmd).json()
    (issue,) = report["issues"]["items"]
    assert issue["value"] == "999999" and issue["masked"] is False
    assert audit_actions(engine, "import.read_personal") == []
