"""Schemathesis over the whole OpenAPI document of the API (issue 7, "Bad input").

The app is built by ``create_app(settings, engine)`` on a migrated database with the
reference data and real demo data (the China CDC dashboard series, the canghailan
national series, part of a beoutbreakprepared line list and an NHC bulletin), and
every operation of ``/api/v1/openapi.json`` is called with cases generated from its
schema — valid ones (*positive*) and ones that break it (*negative*) — both anonymously
and with an administrator's bearer token. Write operations are fuzzed too.

Every answer must pass the checks ``not_a_server_error`` (no 5xx),
``status_code_conformance`` (the status is one the operation declares),
``content_type_conformance`` (problem+json for errors, as declared) and
``response_schema_conformance`` (the body matches the declared schema).

Generation is deterministic (``derandomize``: the examples follow from the test, not
from a random seed), so CI sees the same cases on every run; the number of cases run
is printed for the record.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services import bulletin_import, case_import
from fangkong.services.daily_import import import_daily_file
from fangkong.settings import Settings
from support import BULLETINS, DEMO_DATA, bearer, problem

#: Cases per operation and generation mode, for each caller (~120 operations: kept small;
#: most operations answer an anonymous caller 401 whatever the input).
#: ``FANGKONG_FUZZ_EXAMPLES=N`` runs N per operation and mode (a deeper local run).
#: ``FANGKONG_FUZZ_SEED=S`` draws other cases (random from seed S instead of derandomized).
DEEP = int(os.environ.get("FANGKONG_FUZZ_EXAMPLES", "0"))
SEED = os.environ.get("FANGKONG_FUZZ_SEED")
MAX_EXAMPLES = {"admin": DEEP or 5, "anonymous": max(2, DEEP // 5)}
#: Fixed query parameters of costly operations in positive mode (the bounds are still
#: fuzzed in negative mode): bootstrap replicates refit every distribution.
CHEAPER: dict[str, dict[str, Any]] = {"GET /api/v1/delays": {"bootstrap": 5}}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def seed_data(engine: Engine, settings: Settings, tmp: Path) -> None:
    """Real data in every kind of store the API reads."""
    for name in (
        "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv",
        "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
    ):
        import_daily_file(engine, settings, DEMO_DATA / name, actor=CLI_ACTOR)
    cases = DEMO_DATA / "beoutbreakprepared_ncov_outside_hubei_20200221.csv"
    part = tmp / "outside_hubei_head.csv"
    part.write_bytes(b"".join(cases.read_bytes().splitlines(keepends=True)[:300]))
    case_import.import_case_file(engine, settings, part, parallel=False)
    text = (BULLETINS / "nhc_2020-02-13.txt").read_text(encoding="utf-8")
    bulletin_import.import_bulletin(
        engine, settings, text, actor=CLI_ACTOR, filename="nhc_2020-02-13.txt", dry_run=False
    )


@pytest.fixture
def schema(engine: Engine, settings: Settings, tmp_path: Path) -> Iterator[Any]:
    seed_data(engine, settings, tmp_path)
    app = create_app(settings, engine)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def fuzz_operation(
    operation: Any, mode: GenerationMode, headers: dict[str, str], examples: int
) -> int:
    """Run the checks on generated cases of one operation; the number of cases."""
    ran = 0

    fixed = CHEAPER.get(operation.label) if mode is GenerationMode.POSITIVE else None

    @given(case=operation.as_strategy(generation_mode=mode, query=fixed))
    @settings(
        max_examples=examples,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()
    return ran


@pytest.mark.slow
def test_every_operation_answers_by_its_schema(
    schema: Any, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = bearer(engine, "fuzz.admin", "admin", "CN")
    callers = {"anonymous": {}, "admin": admin}
    failures: list[str] = []
    slow: list[str] = []
    counts: Counter[str] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for who, headers in callers.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                began = time.monotonic()
                try:
                    counts[who] += fuzz_operation(operation, mode, headers, MAX_EXAMPLES[who])
                except Unsatisfiable:
                    pass  # nothing to break: no parameters, or only enumerated ones
                except (Exception, BaseExceptionGroup) as exc:  # collect them all
                    failures.append(f"{operation.label} [{who}, {mode.value}]: {exc}"[:3000])
                spent = time.monotonic() - began
                if spent > 5:
                    slow.append(f"{operation.label} [{who}, {mode.value}] {spent:.1f} s")
    with capsys.disabled():
        print(
            f"\nschemathesis: {sum(counts.values())} cases over "
            f"{len(list(schema.get_all_operations()))} operations "
            f"({', '.join(f'{k} {v}' for k, v in counts.items())}) in "
            f"{time.monotonic() - started:.0f} s"
        )
        print("slowest:", "; ".join(slow))
    assert not failures, "\n\n".join(failures)


def test_what_fuzzing_found_stays_fixed(
    engine: Engine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The requests that answered 500 before, each now a 422 problem naming its input."""
    client = TestClient(create_app(settings, engine), raise_server_exceptions=False)
    admin = bearer(engine, "fuzz.admin", "admin", "CN")
    for method, path, what in (
        ("POST", "/api/v1/warnings/{}/status", "signal_id"),
        ("GET", "/api/v1/shipments?plan_id={}", "plan_id"),
        ("GET", "/api/v1/imports/{}", "import_id"),
        ("GET", "/api/v1/cases?offset={}", "offset"),
        ("GET", "/api/v1/directives/{}", "directive_id"),
    ):
        # past PostgreSQL's integer ("integer out of range"), past SQLite's (OverflowError)
        for huge in (2**31, 2**70):
            url = path.format(huge)
            answer = client.request(method, url, headers=admin, json={"status": "closed"})
            body = problem(answer, 422)
            assert any(e.get("parameter") == what for e in body["errors"]), body
    for url, what in (  # a day near year 1 or 9999 left the calendar (OverflowError)
        ("/api/v1/supplies/stock?day=0001-01-01", "day"),
        ("/api/v1/regions/420000/forecast?from=0001-01-01", "from"),
        ("/api/v1/hospitals/runway/420000?day=9999-12-31", "day"),
    ):
        body = problem(client.get(url, headers=admin), 422)
        assert body["errors"][0]["parameter"] == what, body
    # PostgreSQL text cannot hold NUL: a 422 naming the parameter (SQLite stores it)
    answer = client.get("/api/v1/regions?q=%00x", headers=admin)
    if engine.dialect.name == "postgresql":
        body = problem(answer, 422)
        assert body["errors"] == [
            {"parameter": "q", "in": "query", "detail": "contains a NUL character"}
        ]
    else:
        assert answer.status_code == 200
    scenario = {
        "start": "2020-01-01",
        "population": 1_000_000,
        "days": 30,
        "hospital": {"admission_delay": {"mean": 120, "sd": 1e-160}},  # (mean/sd)**2 overflowed
    }
    body = problem(client.post("/api/v1/scenarios", headers=admin, json=scenario), 422)
    assert body["errors"][0]["pointer"] == "/hospital/admission_delay/sd"


def test_every_error_answer_is_declared_as_a_problem(schema: Any) -> None:
    """The OpenAPI document declares problem+json for every 4xx answer it lists, and
    each operation that takes input lists 404 and 422."""
    document = schema.raw_schema
    assert "Problem" in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("parameters") or operation.get("requestBody"):
                assert {"404", "422"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"]
