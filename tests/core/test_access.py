"""Roles and jurisdictions over the real region tree (GB/T 2260 + ISO 3166-1)."""

from __future__ import annotations

import pytest

from fangkong.core.access import (
    CLI_ACTOR,
    WORLD,
    Permission,
    Role,
    has_permission,
    may_act_on,
)
from fangkong.core.regions import RegionTree
from fangkong.services.reference import bundled_regions


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree.from_regions(bundled_regions())


@pytest.mark.parametrize("region_code", ["420000", "420100", "420102"])
def test_reporter_writes_inside_their_province(tree: RegionTree, region_code: str) -> None:
    assert may_act_on(Role.REPORTER, "420000", Permission.WRITE_REPORTS, region_code, tree)
    assert may_act_on(Role.REPORTER, "420000", Permission.WRITE_CASES, region_code, tree)


@pytest.mark.parametrize("region_code", ["110000", "110101", "CN", "US"])
def test_reporter_does_not_write_outside(tree: RegionTree, region_code: str) -> None:
    assert not may_act_on(Role.REPORTER, "420000", Permission.WRITE_REPORTS, region_code, tree)


def test_city_reporter_cannot_write_the_province_above(tree: RegionTree) -> None:
    assert may_act_on(Role.REPORTER, "420100", Permission.WRITE_CASES, "420102", tree)
    assert not may_act_on(Role.REPORTER, "420100", Permission.WRITE_CASES, "420000", tree)
    assert not may_act_on(Role.REPORTER, "420100", Permission.WRITE_CASES, "420200", tree)


def test_role_limits_apply_inside_the_jurisdiction(tree: RegionTree) -> None:
    assert not may_act_on(Role.VIEWER, "420000", Permission.WRITE_REPORTS, "420100", tree)
    assert not may_act_on(Role.LOGISTICS, "420000", Permission.READ_CASES, "420100", tree)
    assert not may_act_on(Role.COMMANDER, "420000", Permission.WRITE_CASES, "420100", tree)
    assert not may_act_on(Role.REPORTER, "420000", Permission.MANAGE_USERS, "420100", tree)


def test_world_jurisdiction_reaches_every_region(tree: RegionTree) -> None:
    for code in ("110000", "420102", "US", "710000"):
        assert may_act_on(Role.ADMIN, WORLD, Permission.WRITE_REPORTS, code, tree)
        assert may_act_on(CLI_ACTOR.role, CLI_ACTOR.jurisdiction, Permission.IMPORT, code, tree)


def test_only_admins_manage_users() -> None:
    assert [r for r in Role if has_permission(r, Permission.MANAGE_USERS)] == [Role.ADMIN]
    assert all(has_permission(r, Permission.READ_AGGREGATE) for r in Role)


def test_personal_data_export_and_audit_follow_need_to_know() -> None:
    """Personal fields: epidemiologists and reporters (in their jurisdiction) and
    administrators; the line-list export: epidemiologists and administrators; the audit
    log: administrators only. Commanders see the line list masked."""
    assert [r for r in Role if has_permission(r, Permission.READ_PERSONAL)] == [
        Role.ADMIN,
        Role.EPIDEMIOLOGIST,
        Role.REPORTER,
    ]
    assert [r for r in Role if has_permission(r, Permission.EXPORT_LINE_LIST)] == [
        Role.ADMIN,
        Role.EPIDEMIOLOGIST,
    ]
    assert [r for r in Role if has_permission(r, Permission.READ_AUDIT)] == [Role.ADMIN]
    assert {r.value for r in Role} == {
        "admin",
        "commander",
        "epidemiologist",
        "reporter",
        "logistics",
        "viewer",
    }
