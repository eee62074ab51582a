"""Patients' stays on both databases: admission of a case with severity, transfer into
intensive care and to another hospital, discharge and death; the census and the
occupancy report that follow from them; jurisdiction and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert

from fangkong.core.access import Actor, Role
from fangkong.services import hospitals, patients
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.store import models as m

DAY = date(2020, 2, 10)
HUBEI = Actor("hubei.cmd", Role.COMMANDER, "420000")
WUHAN = Actor("wuhan.rep", Role.REPORTER, "420100")
BJ = Actor("bj.rep", Role.REPORTER, "110000")
VIEWER = Actor("viewer", Role.VIEWER, "420000")


@pytest.fixture
def tree(engine: Engine):  # type: ignore[no-untyped-def]
    tree = region_tree(engine)
    for code, name, icu in (("JYT", "金银潭医院", 2), ("HSS", "火神山医院", 30)):
        hospitals.create_hospital(
            engine, HUBEI, tree, hospital_code=code, name=name, kind="designated",
            region_code="420100", lat=30.6, lon=114.2,
            beds={"general": 10, "isolation": 5, "icu": icu, "ventilator": 1},
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(m.CaseRecordRow),
            [
                {"source": "wh", "case_id": f"c{i}", "region_code": region,
                 "classification": cls, "confirmation_date": DAY - timedelta(days=5)}
                for i, (region, cls) in enumerate([
                    ("420102", "confirmed"), ("420102", "confirmed"), ("420106", "suspected"),
                    ("420102", "discarded"), ("110101", "confirmed"), ("420102", "confirmed"),
                ])
            ],
        )  # fmt: skip
    return tree


def test_admit_transfer_discharge_and_census(engine: Engine, tree) -> None:  # type: ignore[no-untyped-def]
    admit = patients.admit
    a = admit(engine, WUHAN, tree, "JYT", source="wh", case_id="c0", bed_type="isolation",
              severity="moderate", admission_date=DAY - timedelta(days=4), today=DAY)  # fmt: skip
    assert a["open"] and a["severity"] == "moderate" and a["classification"] == "confirmed"
    b = admit(engine, WUHAN, tree, "JYT", source="wh", case_id="c1", bed_type="general",
              severity="mild", admission_date=DAY - timedelta(days=3), today=DAY)  # fmt: skip
    admit(engine, WUHAN, tree, "JYT", source="wh", case_id="c2", bed_type="isolation",
          severity="mild", admission_date=DAY - timedelta(days=1), today=DAY)  # fmt: skip
    # one open stay per case; a discarded case, other jurisdictions and bad input refused
    with pytest.raises(Conflict, match="already in JYT"):
        admit(engine, WUHAN, tree, "HSS", source="wh", case_id="c0", bed_type="general",
              severity="mild", admission_date=DAY, today=DAY)  # fmt: skip
    with pytest.raises(Invalid, match="discarded"):
        admit(engine, WUHAN, tree, "JYT", source="wh", case_id="c3", bed_type="general",
              severity="mild", admission_date=DAY, today=DAY)  # fmt: skip
    with pytest.raises(NotFound):  # a Beijing case is not visible to Wuhan
        admit(engine, WUHAN, tree, "JYT", source="wh", case_id="c4", bed_type="general",
              severity="mild", admission_date=DAY, today=DAY)  # fmt: skip
    with pytest.raises(Forbidden):
        admit(engine, BJ, tree, "JYT", source="wh", case_id="c5", bed_type="general",
              severity="mild", admission_date=DAY, today=DAY)  # fmt: skip
    with pytest.raises(Forbidden):  # commanders do not write case data
        admit(engine, HUBEI, tree, "JYT", source="wh", case_id="c5", bed_type="general",
              severity="mild", admission_date=DAY, today=DAY)  # fmt: skip
    for field, kwargs in (
        ("severity", {"severity": "grave"}),
        ("bed_type", {"bed_type": "sofa"}),
        ("admission_date", {"admission_date": DAY + timedelta(days=1)}),
    ):
        args = {"source": "wh", "case_id": "c5", "bed_type": "general", "severity": "mild",
                "admission_date": DAY, **kwargs}  # fmt: skip
        with pytest.raises(Invalid) as err:
            admit(engine, WUHAN, tree, "JYT", today=DAY, **args)  # type: ignore[arg-type]
        assert err.value.field == field

    # c0 becomes critical: into intensive care in the same hospital, then to Huoshenshan
    icu = patients.transfer(
        engine, WUHAN, tree, "JYT", a["id"], to_hospital_code="JYT", bed_type="icu",
        severity="critical", transfer_date=DAY - timedelta(days=2), today=DAY,
    )  # fmt: skip
    assert icu["transferred_from_id"] == a["id"] and icu["severity"] == "critical"
    with pytest.raises(Invalid, match="another hospital or another bed type"):
        patients.transfer(
            engine, WUHAN, tree, "JYT", icu["id"], to_hospital_code="JYT", bed_type="icu",
            transfer_date=DAY, today=DAY,
        )  # fmt: skip
    with pytest.raises(Conflict, match="ended"):
        patients.discharge(engine, WUHAN, tree, "JYT", a["id"], end_date=DAY, today=DAY)
    with pytest.raises(Invalid, match="cannot end before"):
        patients.discharge(
            engine, WUHAN, tree, "JYT", icu["id"], end_date=DAY - timedelta(days=3), today=DAY
        )
    moved = patients.transfer(
        engine, WUHAN, tree, "JYT", icu["id"], to_hospital_code="HSS", bed_type="ventilator",
        transfer_date=DAY - timedelta(days=1), today=DAY,
    )  # fmt: skip
    assert moved["hospital_code"] == "HSS" and moved["severity"] == "critical"
    path = patients.case_path(engine, HUBEI, tree, "wh", "c0")
    assert [(s["hospital_code"], s["bed_type"], s["end_reason"]) for s in path] == [
        ("JYT", "isolation", "transferred"),
        ("JYT", "icu", "transferred"),
        ("HSS", "ventilator", None),
    ]
    done = patients.discharge(
        engine, WUHAN, tree, "JYT", b["id"], end_date=DAY, outcome="discharged", today=DAY
    )
    assert done["end_reason"] == "discharged" and not done["open"]
    with pytest.raises(Invalid, match="outcome"):
        patients.discharge(
            engine, WUHAN, tree, "HSS", moved["id"], end_date=DAY, outcome="transferred"
        )
    with pytest.raises(NotFound):  # the stay is at HSS, not JYT
        patients.discharge(engine, WUHAN, tree, "JYT", moved["id"], end_date=DAY, today=DAY)

    # census at the end of each day: c0 in the ICU on DAY-2, at HSS from DAY-1
    def occupied(code: str, day: date) -> dict[str, int]:
        return patients.census(engine, VIEWER, tree, code, day)["occupied"]

    assert occupied("JYT", DAY - timedelta(days=2)) == {
        "general": 1,
        "isolation": 0,
        "icu": 1,
        "ventilator": 0,
    }
    assert occupied("JYT", DAY - timedelta(days=1)) == {
        "general": 1,
        "isolation": 1,
        "icu": 0,
        "ventilator": 0,
    }
    jyt = patients.census(engine, VIEWER, tree, "JYT", DAY)
    assert jyt["occupied"] == {"general": 0, "isolation": 1, "icu": 0, "ventilator": 0}
    assert jyt["discharged"] == 1 and jyt["admitted"] == 0 and jyt["by_severity"]["mild"] == 1
    hss = patients.census(engine, VIEWER, tree, "HSS", DAY)
    assert hss["occupied"]["ventilator"] == 1 and hss["by_severity"]["critical"] == 1
    assert patients.census(engine, VIEWER, tree, "HSS", DAY - timedelta(days=1))["admitted"] == 1

    # the day's occupancy report from the census; the hospital then shows it
    with pytest.raises(Forbidden):
        patients.report_from_census(engine, VIEWER, tree, "HSS", report_date=DAY, today=DAY)
    report = patients.report_from_census(engine, WUHAN, tree, "HSS", report_date=DAY, today=DAY)
    assert report["occupied_ventilator"] == 1 and report["occupied_icu"] == 0
    shown = hospitals.get_hospital(engine, HUBEI, tree, "HSS", DAY)
    assert shown["latest_occupancy"]["occupied_ventilator"] == 1 and not shown["stale"]

    # stays are personal data: read_cases over the hospital's region
    listed = patients.list_stays(engine, HUBEI, tree, "JYT")
    assert [s["case_id"] for s in listed] == ["c2", "c0", "c1", "c0"]
    open_now = patients.list_stays(engine, WUHAN, tree, "JYT", day=DAY, open_only=True)
    assert [s["case_id"] for s in open_now] == ["c2"]
    with pytest.raises(Forbidden):
        patients.list_stays(engine, VIEWER, tree, "JYT")
    with pytest.raises(Forbidden):
        patients.list_stays(engine, BJ, tree, "JYT")


def test_died_ends_the_stay_and_frees_the_bed(engine: Engine, tree) -> None:  # type: ignore[no-untyped-def]
    stay = patients.admit(
        engine, WUHAN, tree, "JYT", source="wh", case_id="c5", bed_type="icu",
        severity="critical", admission_date=DAY - timedelta(days=2), today=DAY,
    )  # fmt: skip
    over = patients.admit(
        engine, WUHAN, tree, "JYT", source="wh", case_id="c1", bed_type="icu",
        severity="severe", admission_date=DAY - timedelta(days=2), today=DAY,
    )  # fmt: skip
    patients.admit(
        engine, WUHAN, tree, "JYT", source="wh", case_id="c0", bed_type="icu",
        severity="severe", admission_date=DAY - timedelta(days=1), today=DAY,
    )  # fmt: skip
    before = patients.census(engine, VIEWER, tree, "JYT", DAY - timedelta(days=1))
    assert before["occupied"]["icu"] == 3 and before["over_capacity"] == ["icu"]
    dead = patients.discharge(
        engine, WUHAN, tree, "JYT", stay["id"], end_date=DAY, outcome="died", note="抢救无效",
        today=DAY,
    )  # fmt: skip
    assert dead["end_reason"] == "died" and dead["note"] == "抢救无效"
    after = patients.census(engine, VIEWER, tree, "JYT", DAY)
    assert after["occupied"]["icu"] == 2 and after["died"] == 1 and after["free"]["icu"] == 0
    # the case can be admitted again after its stay ended (readmission)
    patients.discharge(engine, WUHAN, tree, "JYT", over["id"], end_date=DAY, today=DAY)
    again = patients.admit(
        engine, WUHAN, tree, "HSS", source="wh", case_id="c1", bed_type="general",
        severity="mild", admission_date=DAY, today=DAY,
    )  # fmt: skip
    assert again["open"] and again["transferred_from_id"] is None
