"""Roles and jurisdiction: who may read and write what.

Every user has one role and one jurisdiction (a region sub-tree). Writes are allowed
only inside the jurisdiction; roles decide which kinds of data may be written.
Anonymous users read only public aggregate figures.

Personal data of the line list (``core.privacy.personal``) follows "need to know":
``READ_PERSONAL`` (see the personal fields of a case; every such read is audited) goes
to epidemiologists, who investigate cases and clusters, and to reporters, who entered
those cases themselves — both only inside their own jurisdiction, like every case
read; commanders direct the response from aggregates and see the line list masked
unless an administrator gives them another role. ``EXPORT_LINE_LIST`` (download the
whole line list, audited with the file's hash) is narrower still: epidemiologists and
administrators. ``READ_AUDIT`` (the audit log) is for administrators only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fangkong.core.regions import RegionTree


class Role(StrEnum):
    ADMIN = "admin"
    COMMANDER = "commander"
    EPIDEMIOLOGIST = "epidemiologist"
    REPORTER = "reporter"
    LOGISTICS = "logistics"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ_AGGREGATE = "read_aggregate"
    READ_CASES = "read_cases"
    WRITE_REPORTS = "write_reports"
    WRITE_CASES = "write_cases"
    IMPORT = "import"
    MANAGE_USERS = "manage_users"
    #: Declare response levels, issue directives, set deadlines and rule sets (issue 5).
    COMMAND = "command"
    #: Acknowledge directives and report progress on them (issue 5).
    RESPOND = "respond"
    #: Run depots and stock (lots, movements, donations) and confirm, dispatch or cancel
    #: shipments (issue 6); requests are approved and allocated with ``COMMAND``.
    LOGISTICS = "logistics"
    #: See the personal fields of case records (core/privacy/personal.py); audited.
    READ_PERSONAL = "read_personal"
    #: Export the line list as a file; audited with the file's hash.
    EXPORT_LINE_LIST = "export_line_list"
    #: Read and verify the audit log.
    READ_AUDIT = "read_audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.COMMANDER: frozenset(
        {
            Permission.READ_AGGREGATE,
            Permission.READ_CASES,
            Permission.WRITE_REPORTS,
            Permission.IMPORT,
            Permission.COMMAND,
            Permission.RESPOND,
        }
    ),
    Role.EPIDEMIOLOGIST: frozenset(
        {
            Permission.READ_AGGREGATE,
            Permission.READ_CASES,
            Permission.WRITE_REPORTS,
            Permission.WRITE_CASES,
            Permission.IMPORT,
            Permission.RESPOND,
            Permission.READ_PERSONAL,
            Permission.EXPORT_LINE_LIST,
        }
    ),
    Role.REPORTER: frozenset(
        {
            Permission.READ_AGGREGATE,
            Permission.READ_CASES,
            Permission.WRITE_REPORTS,
            Permission.WRITE_CASES,
            Permission.IMPORT,
            Permission.RESPOND,
            Permission.READ_PERSONAL,
        }
    ),
    Role.LOGISTICS: frozenset(
        {Permission.READ_AGGREGATE, Permission.RESPOND, Permission.LOGISTICS}
    ),
    Role.VIEWER: frozenset({Permission.READ_AGGREGATE}),
}


#: Jurisdiction meaning "every region" (national command, administrators, the CLI).
WORLD = "*"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a user (or the command line) with a role and a jurisdiction."""

    username: str
    role: Role
    jurisdiction: str


#: The operator at the command line of the server: full rights, recorded by name.
CLI_ACTOR = Actor("cli", Role.ADMIN, WORLD)


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def may_act_on(
    role: Role,
    jurisdiction: str,
    permission: Permission,
    region_code: str,
    tree: RegionTree,
) -> bool:
    """True when a user of ``role`` scoped to ``jurisdiction`` may do ``permission`` on
    data of ``region_code`` (the region itself or anything below it)."""
    if not has_permission(role, permission):
        return False
    return jurisdiction == WORLD or tree.is_within(region_code, jurisdiction)
