"""Editing one daily report with optimistic concurrency (ETag / If-Match), on both
databases: GET gives the ETag, PUT needs If-Match on an existing report (428 without,
412 with a stale one, naming the report and carrying the current ETag), a success gives
the new ETag; imports and batch entry also move the version on; two editors racing on
the same version: exactly one wins."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from fangkong.api.app import create_app
from fangkong.api.routes.daily import DailyFigures
from fangkong.core.access import Actor, Role
from fangkong.core.reports import COUNT_FIELDS
from fangkong.services import daily_reports as svc
from fangkong.services.errors import PreconditionFailed, PreconditionRequired
from fangkong.settings import Settings
from fangkong.store import models as m
from support import bearer, problem

PATH = "/api/v1/daily/fangkong/420100/2020-02-12"
HUBEI = Actor("hubei.rep", Role.REPORTER, "420000")


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


@pytest.fixture
def headers(engine: Engine) -> dict[str, str]:
    return bearer(engine, "hubei.rep", "reporter", "420000")


def test_the_put_body_has_every_count_field() -> None:
    assert set(DailyFigures.model_fields) == set(COUNT_FIELDS)


def test_create_read_edit_with_etags(client: TestClient, headers: dict[str, str]) -> None:
    assert problem(client.get(PATH, headers=headers), 404)["errors"][0]["parameter"]
    created = client.put(PATH, headers=headers, json={"new_confirmed": 13436, "new_deaths": 72})
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"' and created.json()["result"] == "created"

    got = client.get(PATH, headers=headers)
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    body = got.json()
    assert body["new_confirmed"] == 13436 and body["new_deaths"] == 72
    assert body["new_recovered"] is None and body["version"] == 1

    edited = client.put(PATH, headers={**headers, "If-Match": '"1"'}, json={"new_confirmed": 13437})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert edited.json()["new_confirmed"] == 13437 and edited.json()["new_deaths"] == 72
    assert edited.json()["result"] == "updated"

    same = client.put(PATH, headers={**headers, "If-Match": '"2"'}, json={"new_confirmed": 13437})
    assert same.json()["result"] == "unchanged" and same.headers["ETag"] == '"2"'


def test_missing_if_match_is_428_and_stale_is_412(
    client: TestClient, headers: dict[str, str], engine: Engine
) -> None:
    assert client.put(PATH, headers=headers, json={"new_confirmed": 1}).status_code == 201
    missing = problem(client.put(PATH, headers=headers, json={"new_confirmed": 2}), 428)
    assert missing["errors"][0]["parameter"] == "If-Match"
    assert missing["etag"] == '"1"'
    assert "420100" in missing["detail"] and "2020-02-12" in missing["detail"]

    assert client.put(PATH, headers={**headers, "If-Match": '"1"'}, json={"new_confirmed": 2})
    stale = client.put(PATH, headers={**headers, "If-Match": '"1"'}, json={"new_confirmed": 3})
    body = problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' and body["etag"] == '"2"'
    assert body["errors"][0]["parameter"] == "If-Match"
    assert "changed by someone else" in body["detail"] and "420100" in body["detail"]
    assert svc.get_daily_report(engine, "420100", date(2020, 2, 12))["new_confirmed"] == 2

    # If-None-Match: * creates only; a weak or foreign tag never matches an edit
    assert problem(client.put(PATH, headers={**headers, "If-None-Match": "*"}, json={}), 412)
    assert problem(client.put(PATH, headers={**headers, "If-Match": 'W/"2"'}, json={}), 412)
    bad = problem(client.put(PATH, headers={**headers, "If-Match": "two"}, json={}), 422)
    assert bad["errors"][0]["parameter"] == "If-Match"
    other = "/api/v1/daily/fangkong/420100/2020-02-13"
    assert problem(client.put(other, headers={**headers, "If-Match": '"1"'}, json={}), 412)


def test_bad_figures_are_named(client: TestClient, headers: dict[str, str]) -> None:
    body = problem(client.put(PATH, headers=headers, json={"tests": -5}), 422)
    assert body["errors"][0]["pointer"] == "/tests"
    body = problem(client.put(PATH, headers=headers, json={"new_deaths": "many"}), 422)
    assert body["errors"][0]["pointer"] == "/new_deaths"
    body = problem(client.put(PATH, headers=headers, json={"region_code": "110000"}), 422)
    assert body["errors"][0]["pointer"] == "/region_code"
    future = "/api/v1/daily/fangkong/420100/2999-01-01"
    body = problem(client.put(future, headers=headers, json={"new_confirmed": 1}), 422)
    assert body["errors"][0]["parameter"] == "report_date"
    beijing = "/api/v1/daily/fangkong/110000/2020-02-12"
    problem(client.put(beijing, headers=headers, json={"new_confirmed": 1}), 403)


def test_a_batch_entry_moves_the_version_on(
    client: TestClient, headers: dict[str, str], engine: Engine
) -> None:
    """A write by any path (batch entry, import) makes an ETag read before it stale."""
    assert client.put(PATH, headers=headers, json={"new_confirmed": 1}).status_code == 201
    item = {"region_code": "420100", "report_date": "2020-02-12", "new_confirmed": 5}
    answer = client.post("/api/v1/daily", headers=headers, json={"items": [item]})
    assert answer.status_code == 200 and answer.json()["updated"] == 1
    assert client.get(PATH, headers=headers).headers["ETag"] == '"2"'
    problem(client.put(PATH, headers={**headers, "If-Match": '"1"'}, json={"tests": 9}), 412)
    with engine.connect() as conn:
        revisions = conn.execute(
            select(func.count())
            .select_from(m.RevisionRow)
            .where(m.RevisionRow.field == "new_confirmed")
        ).scalar_one()
    assert revisions == 1


def test_racing_editors_of_one_version_one_wins(engine: Engine, settings: Settings) -> None:
    """Eight threads edit from the same version at once: exactly one write lands, the
    others get 412, and the stored figure is the winner's."""
    day = date(2020, 2, 12)
    svc.edit_daily_report(
        engine, {"new_confirmed": 0}, region_code="420100", report_date=day, actor=HUBEI,
        if_match=None,
    )  # fmt: skip
    barrier = threading.Barrier(8)
    won: list[int] = []
    lost: list[int] = []
    errors: list[BaseException] = []

    def editor(n: int) -> None:
        barrier.wait()
        try:
            svc.edit_daily_report(
                engine, {"new_confirmed": 100 + n}, region_code="420100", report_date=day,
                actor=HUBEI, if_match='"1"',
            )  # fmt: skip
            won.append(n)
        except PreconditionFailed:
            lost.append(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(won) == 1 and len(lost) == 7
    stored = svc.get_daily_report(engine, "420100", day)
    assert stored["version"] == 2 and stored["new_confirmed"] == 100 + won[0]


def test_service_requires_if_match_for_existing(engine: Engine) -> None:
    day = date(2020, 2, 12)
    svc.edit_daily_report(
        engine, {"new_confirmed": 0}, region_code="420100", report_date=day, actor=HUBEI,
        if_match=None,
    )  # fmt: skip
    with pytest.raises(PreconditionRequired):
        svc.edit_daily_report(
            engine, {"new_confirmed": 1}, region_code="420100", report_date=day, actor=HUBEI,
            if_match=None,
        )  # fmt: skip
