"""The operations console: pages for signed-in users (zh/en), under ``/{lang}/console``.

Pages: the dashboard (reporting completeness of the day by region, open and escalated
directives, recent warning signals), daily-report entry, file and bulletin import,
emergency response levels, risk zoning, early-warning signals, directives, the
timeliness scorecard, bulletins, the medical resources (web/resource_pages.py) and
(administrators only) the audit log.

Reads are rendered on the server from the same services the API uses, with the
signed-in user as the actor, so a page shows exactly what the API would answer that
user (jurisdiction and role checks included; a refusal is shown on the page, not as a
crash). Changes are made by ``static/js/console/*.js`` through the JSON API with the
session cookie and the CSRF token in ``X-CSRF-Token`` (OWASP CSRF Prevention Cheat
Sheet, "Synchronizer token"); the API's problem+json errors (RFC 9457) are shown next
to the field their JSON pointer (RFC 6901) or parameter names. Pages carry no inline
scripts and are never cached (``Cache-Control: no-store``): they hold personal work.

A visitor without a valid session is sent to ``/login`` and back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from fangkong.api.auth import optional_session_user, region_tree_of, signer_of
from fangkong.core.access import WORLD, Actor, Permission, has_permission
from fangkong.core.importing.case_formats import CASE_FORMATS
from fangkong.core.importing.daily_formats import FORMATS as DAILY_FORMATS
from fangkong.core.reports import CORRECTABLE_FIELDS
from fangkong.services import audit as asvc
from fangkong.services import directives as dsvc
from fangkong.services import public as pub
from fangkong.services import response as rsvc
from fangkong.services import risk as risksvc
from fangkong.services import timeliness as tsvc
from fangkong.services import warnings as wsvc
from fangkong.services.errors import Forbidden, NotFound, ServiceError
from fangkong.services.import_reports import import_report
from fangkong.services.regions import get_region, region_subtree
from fangkong.web import i18n

#: The clock of the reporting system: China Standard Time (the bulletins' 0-24 h day).
CHINA = ZoneInfo("Asia/Shanghai")
#: Longest default scorecard period on the timeliness page.
SCORECARD_DAYS = 7


def N_(text: str) -> str:
    """Marks a message for the catalogues; translated where it is shown."""
    return text


#: Sections of the console, in the order of its navigation.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("", N_("Dashboard")),
    ("report", N_("Daily report")),
    ("import", N_("Import")),
    ("response", N_("Response levels")),
    ("risk", N_("Risk zoning")),
    ("warnings", N_("Early warning")),
    ("directives", N_("Directives")),
    ("timeliness", N_("Timeliness")),
    ("bulletins", N_("Bulletins")),
    ("resources", N_("Medical resources")),
    ("audit", N_("Audit log")),
)
#: Sections shown only to holders of a permission.
SECTION_PERMISSIONS: dict[str, Permission] = {"audit": Permission.READ_AUDIT}
#: Entries per page of the audit log.
AUDIT_PAGE = 50
#: Actions offered as suggestions in the audit log's filter.
AUDIT_ACTIONS: tuple[str, ...] = (
    "case.read_personal",
    "line_list.export",
    "import.run",
    "cases.",
    "daily.",
    "users.",
    "bulletins.",
    "session.",
    "cli.",
)

#: Labels of the daily-report figures (form fields and bulletin readings).
FIELD_LABELS: dict[str, str] = {
    "new_confirmed": N_("New confirmed (local and imported)"),
    "new_confirmed_imported": N_("of which imported"),
    "new_suspected": N_("New suspected"),
    "new_deaths": N_("New deaths"),
    "new_recovered": N_("New recovered (discharged)"),
    "new_asymptomatic": N_("New asymptomatic infections"),
    "tests": N_("Tests"),
    "current_severe": N_("Severe cases at 24:00"),
    "current_suspected": N_("Suspected cases at 24:00"),
    "close_contacts_under_observation": N_("Close contacts under medical observation"),
}

#: Figures a bulletin may yield (the keys of ``fangkong import bulletin --dry-run``).
BULLETIN_LABELS: dict[str, str] = {
    "new_confirmed": N_("New confirmed"),
    "new_confirmed_imported": N_("New confirmed, imported"),
    "new_confirmed_local": N_("New confirmed, local"),
    "new_deaths": N_("New deaths"),
    "new_suspected": N_("New suspected"),
    "new_recovered": N_("New recovered"),
    "new_severe": N_("New severe"),
    "new_asymptomatic": N_("New asymptomatic"),
    "cumulative_confirmed": N_("Cumulative confirmed"),
    "cumulative_recovered": N_("Cumulative recovered"),
    "cumulative_deaths": N_("Cumulative deaths"),
    "current_confirmed": N_("Current confirmed"),
    "current_severe": N_("Current severe"),
    "current_suspected": N_("Current suspected"),
    "close_contacts_traced": N_("Close contacts traced"),
    "close_contacts_under_observation": N_("Close contacts under observation"),
}

#: Messages used by the console scripts (passed translated in ``data-messages``).
SCRIPT_MESSAGES: dict[str, str] = {
    "required": N_("Required."),
    "whole": N_("A whole number, please."),
    "negative": N_(
        "Cannot be negative (only new confirmed, imported, deaths, recovered and suspected "
        "may be, as a publisher's correction)."
    ),
    "date": N_("A date (YYYY-MM-DD), please."),
    "future": N_("This date is in the future."),
    "code": N_("A region code such as 420100."),
    "saving": N_("Saving…"),
    "saved": N_("Saved."),
    "failed": N_("Not saved:"),
    "network": N_("Network error; nothing was saved. Please try again."),
    "signed_out": N_("Your session has ended; please sign in again."),
    "inserted": N_("inserted"),
    "updated": N_("updated"),
    "unchanged": N_("unchanged"),
    "revisions": N_("revisions"),
    "rows_read": N_("Rows read"),
    "rows_rejected": N_("Rejected"),
    "rows_repaired": N_("Repaired"),
    "status": N_("Status"),
    "line": N_("Line"),
    "column": N_("Column"),
    "value": N_("Value"),
    "reason": N_("Reason"),
    "severity": N_("Severity"),
    "reject_file": N_("Download the rejected rows (CSV)"),
    "more_issues": N_("More issues than shown; the reject file has every rejected row."),
    "no_issues": N_("No row was rejected."),
    "reading": N_("Reading…"),
    "not_found": N_("not found in the text"),
    "unread": N_("Sentences not interpreted"),
    "flags": N_("Flags"),
    "stored": N_("Stored."),
    "choose_file": N_("Choose a file, or paste the text."),
    "action_declare": N_("This declares a response."),
    "action_raise": N_("This raises the response."),
    "action_lower": N_("This lowers the response."),
    "action_lift": N_("This lifts the response."),
    "action_none": N_("The region already has this level."),
    "measures": N_("Measures of this level"),
    "editing": N_("Editing the stored report,"),
    "new_report": N_("No report stored yet for this region, date and source: a new one."),
    "version": N_("version"),
    "created": N_("created"),
    "conflict": N_(
        "Not saved: someone else changed this report after you loaded it. Your figures "
        "were not written over theirs. Load the latest figures, check them and submit again."
    ),
    "reload": N_("Load the latest figures"),
}

RESPONSE_LEVELS: tuple[tuple[str, str], ...] = (
    ("I", N_("Level I (especially serious)")),
    ("II", N_("Level II (serious)")),
    ("III", N_("Level III (major)")),
    ("IV", N_("Level IV (ordinary)")),
    ("none", N_("No response (lift)")),
)

PRIORITIES: tuple[tuple[str, str], ...] = (
    ("normal", N_("Normal")),
    ("urgent", N_("Urgent (加急)")),
    ("extra_urgent", N_("Extra urgent (特急)")),
)

STATUS_LABELS: dict[str, str] = {
    "on_time": N_("on time"),
    "late": N_("late"),
    "missing": N_("missing"),
    "pending": N_("not due yet"),
    "overdue": N_("overdue"),
    "open": N_("open"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
    "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"),
    "new": N_("new"),
    "dismissed": N_("dismissed"),
}

#: The changes of a response level (core/rules/response.py ``Action``).
ACTION_LABELS: dict[str, str] = {
    "declare": N_("declared"),
    "raise": N_("raised"),
    "lower": N_("lowered"),
    "lift": N_("lifted"),
}

UNITS: tuple[tuple[str, str], ...] = (
    ("province", N_("Province")),
    ("prefecture", N_("Prefecture")),
    ("county", N_("County")),
)

#: Units an early-warning scan may cover (``POST /api/v1/warnings/scan`` ``level``).
SCAN_LEVELS: tuple[tuple[str, str], ...] = (("country", N_("Country")), *UNITS)
#: Days of the default scan window, ending on the latest national report day.
SCAN_DAYS = 7


def china_today() -> date:
    return datetime.now(CHINA).date()


def _parse_date(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


def _scope_root(actor: Actor) -> str:
    """The region a user's pages start from: the jurisdiction, or China."""
    return "CN" if actor.jurisdiction == WORLD else actor.jurisdiction


def _region_options(app: FastAPI, root: str) -> list[dict[str, Any]]:
    """The jurisdiction's region and two levels below it, for pickers (cached per app)."""
    cache: dict[str, list[dict[str, Any]]] = app.state.console_regions
    if root not in cache:
        tree = region_subtree(app.state.engine, root, depth=2)
        out: list[dict[str, Any]] = []

        def walk(node: dict[str, Any], depth: int) -> None:
            out.append({k: node[k] for k in ("region_code", "name_zh", "name_en", "level")})
            out[-1]["depth"] = depth
            for child in node.get("children", []):
                walk(child, depth + 1)

        walk(tree, 0)
        cache[root] = out
    return cache[root]


class Console:
    """The signed-in user of a console request, with what the page needs to act."""

    def __init__(self, request: Request, user: Any, csrf: str) -> None:
        self.request = request
        self.user = user
        self.actor: Actor = user.actor
        self.csrf = csrf
        self.tree = region_tree_of(request.app)
        self.root = _scope_root(self.actor)

    def can(self, permission: str) -> bool:
        return has_permission(self.actor.role, Permission(permission))


def install_console(app: FastAPI, render: Callable[..., HTMLResponse]) -> None:
    """Register the console pages (``render`` is the public pages' renderer)."""
    engine = app.state.engine
    settings = app.state.settings
    app.state.console_regions = {}

    def signed_in(request: Request, lang: str) -> Console | Response:
        if lang not in i18n.LANGS:
            raise NotFound(f"no language {lang!r}; one of {', '.join(i18n.LANGS)}")
        user, session = optional_session_user(request)
        if user is None or session is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        return Console(request, user, signer_of(request).csrf_token(session.binding))

    def page(c: Console, lang: str, name: str, section: str, **context: Any) -> HTMLResponse:
        tr = i18n.translations(lang)
        response = render(
            c.request,
            f"console/{name}.html",
            lang,
            console=c,
            user=c.user,
            csrf_token=c.csrf,
            section=section,
            sections=[
                (key, label)
                for key, label in SECTIONS
                if key not in SECTION_PERMISSIONS or c.can(SECTION_PERMISSIONS[key].value)
            ],
            messages={k: tr.gettext(v) for k, v in SCRIPT_MESSAGES.items()},
            status_labels=STATUS_LABELS,
            **context,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def attempt(compute: Callable[[], Any]) -> tuple[Any, str | None]:
        """Run a service read; a refusal or bad input becomes a message on the page."""
        try:
            return compute(), None
        except ServiceError as exc:
            return None, exc.message

    @app.get("/console", include_in_schema=False)
    def console_root(request: Request) -> Response:
        lang = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        return RedirectResponse(f"/{lang}/console", status_code=307)

    @app.get("/{lang}/console", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, lang: str, date: str | None = None) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        day = _parse_date(date, china_today())
        card, card_error = attempt(
            lambda: tsvc.scorecard(engine, c.actor, c.tree, date_from=day, date_to=day)
        )
        escalated = None
        if c.can("command"):
            escalated, _ = attempt(lambda: dsvc.dashboard(engine, c.actor, c.tree))
        open_directives, _ = attempt(
            lambda: dsvc.list_directives(engine, c.actor, c.tree, status="open", limit=20)
        )
        signals, _ = attempt(lambda: wsvc.list_signals(engine, c.actor, c.tree, limit=10))
        return page(
            c,
            lang,
            "dashboard",
            "",
            day=day.isoformat(),
            card=card,
            card_error=card_error,
            escalated=escalated,
            open_directives=open_directives,
            signals=signals,
        )

    @app.get("/{lang}/console/report", response_class=HTMLResponse, include_in_schema=False)
    def report(request: Request, lang: str) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        return page(
            c,
            lang,
            "report",
            "report",
            regions=_region_options(app, c.root),
            fields=FIELD_LABELS,
            correctable=sorted(CORRECTABLE_FIELDS),
            today=china_today().isoformat(),
        )

    @app.get("/{lang}/console/import", response_class=HTMLResponse, include_in_schema=False)
    def imports(request: Request, lang: str) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        return page(
            c,
            lang,
            "import",
            "import",
            daily_formats=[(k, f.title) for k, f in DAILY_FORMATS.items()],
            case_formats=list(CASE_FORMATS),
            bulletin_labels=BULLETIN_LABELS,
            regions=_region_options(app, c.root),
        )

    @app.get("/console/imports/{import_id}/rejects", include_in_schema=False)
    def reject_file(request: Request, import_id: int) -> Response:
        """The reject file of an import (rows, with line, column, value and reason), for
        users who may read import reports."""
        c = signed_in(request, "zh")
        if not isinstance(c, Console):
            return c
        # The report's access rule and file name only: no issue value is shown here.
        found = import_report(
            engine, import_id, actor=c.actor, limit=1, tree=c.tree, personal=False
        )
        name = found.get("reject_file")
        folder = (Path(settings.var_dir) / "rejects").resolve()
        path = Path(name).resolve() if name else None
        if path is None or folder not in path.parents or not path.is_file():
            raise NotFound(f"import {import_id} has no reject file", field="import_id")
        if found.get("kind") == "cases":
            # Rejected rows of a line list are whole rows, personal fields included.
            if not c.can(Permission.READ_PERSONAL.value):
                raise Forbidden(
                    f"the rejected rows of a case import hold personal fields: "
                    f"{c.actor.username} lacks the permission {Permission.READ_PERSONAL.value}"
                )
            asvc.record(
                engine,
                c.actor,
                "import.rejects_read",
                "import",
                str(import_id),
                {
                    "file": path.name,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "rows": found.get("rows_rejected"),
                },
            )
        return FileResponse(
            path,
            media_type="text/csv; charset=utf-8",
            filename=path.name,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/{lang}/console/response", response_class=HTMLResponse, include_in_schema=False)
    def response_levels(
        request: Request, lang: str, region: str | None = None, saved: int | None = None
    ) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        root_level, _ = attempt(lambda: rsvc.region_response(engine, c.tree, c.root))
        children, levels_error = attempt(lambda: rsvc.levels(engine, c.tree, parent_code=c.root))
        history, history_error = attempt(
            lambda: rsvc.history(engine, region_code=region or None, limit=200)
        )
        measures = {lv: rsvc.list_measures(engine, lv) for lv in ("I", "II", "III", "IV")}
        current = {i["region_code"]: i for i in ([root_level] if root_level else [])}
        current.update({i["region_code"]: i for i in children or []})
        own = {code: item["own_level"] for code, item in current.items()}
        return page(
            c,
            lang,
            "response",
            "response",
            regions=_region_options(app, c.root),
            current=list(current.values()),
            own=own,
            levels_error=levels_error,
            history=history,
            history_error=history_error,
            region=region or "",
            saved=saved,
            measures=measures,
            response_levels=RESPONSE_LEVELS,
            action_labels=ACTION_LABELS,
            now_local=datetime.now(CHINA).strftime("%Y-%m-%dT%H:%M"),
        )

    @app.get("/{lang}/console/risk", response_class=HTMLResponse, include_in_schema=False)
    def risk(
        request: Request,
        lang: str,
        date: str | None = None,
        ruleset: str | None = None,
        unit: str | None = None,
        parent: str | None = None,
    ) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        latest = pub.default_national_day(engine, settings.source_priority) or china_today()
        day = _parse_date(date, latest)
        rulesets = risksvc.list_rulesets(engine)
        scope = parent if parent is not None else ("" if c.root == "CN" else c.root)
        table, error = attempt(
            lambda: risksvc.risk_table(
                engine,
                settings,
                c.tree,
                on=day,
                ruleset=ruleset or None,
                unit=unit or None,
                parent=scope or None,
            )
        )
        return page(
            c,
            lang,
            "risk",
            "risk",
            day=day.isoformat(),
            rulesets=rulesets,
            ruleset=ruleset or risksvc.DEFAULT_RULESET,
            unit=unit or "",
            units=UNITS,
            parent=scope,
            table=table,
            error=error,
            regions=_region_options(app, c.root),
        )

    @app.get("/{lang}/console/warnings", response_class=HTMLResponse, include_in_schema=False)
    def warnings(
        request: Request,
        lang: str,
        date_from: Annotated[str | None, Query(alias="from")] = None,
        date_to: Annotated[str | None, Query(alias="to")] = None,
        level: str = "province",
        regions: Annotated[list[str] | None, Query()] = None,
        parent: str | None = None,
        methods: Annotated[list[str] | None, Query()] = None,
        inserted: int | None = None,
        unchanged: int | None = None,
        status: str | None = None,
        method: str | None = None,
        region: str | None = None,
        saved: int | None = None,
    ) -> Response:
        """Scan daily series for early-warning signals (EARS C1-C3, negative-binomial
        threshold, data-quality checks; services/warnings.py) and work the stored ones:
        a scan given in the query is read-only, storing it is a POST by the page script."""
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        latest = pub.default_national_day(engine, settings.source_priority) or china_today()
        last = _parse_date(date_to, latest)
        first = _parse_date(date_from, last - timedelta(days=SCAN_DAYS - 1))
        chosen = [code for code in regions or [] if code]
        scope = parent if parent is not None else ("" if c.root == "CN" else c.root)
        scanned, scan_error = None, None
        if date_from and date_to:
            scanned, scan_error = attempt(
                lambda: wsvc.scan(
                    engine,
                    settings,
                    c.tree,
                    date_from=first,
                    date_to=last,
                    level=None if chosen else level,
                    region_codes=chosen or None,
                    methods=methods or None,
                    parent=None if chosen else scope or None,
                )
            )
        stored, error = attempt(
            lambda: wsvc.list_signals(
                engine,
                c.actor,
                c.tree,
                region_code=region or None,
                status=status or None,
                method=method or None,
                limit=200,
            )
        )
        names: dict[str, Any] = {}
        for item in stored["items"] if stored else []:
            code = item["region_code"]
            if code not in names:
                names[code], _ = attempt(partial(get_region, engine, code))
            found = names[code]
            item["name_zh"] = found.name_zh if found else code
            item["name_en"] = found.name_en if found else code
        return page(
            c,
            lang,
            "warnings",
            "warnings",
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            level=level,
            levels=SCAN_LEVELS,
            chosen=chosen,
            parent=scope,
            methods=methods or list(wsvc.METHODS),
            method_names=wsvc.METHOD_NAMES,
            scanned=scanned,
            scan_error=scan_error,
            inserted=inserted,
            unchanged=unchanged,
            stored=stored,
            error=error,
            status=status or "",
            method=method or "",
            region=region or "",
            statuses=wsvc.STATUSES,
            saved=saved,
            regions=_region_options(app, c.root),
        )

    @app.get("/{lang}/console/directives", response_class=HTMLResponse, include_in_schema=False)
    def directives(
        request: Request,
        lang: str,
        box: str = "all",
        status: str | None = None,
        saved: int | None = None,
    ) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        listing, error = attempt(
            lambda: dsvc.list_directives(
                engine, c.actor, c.tree, box=box, status=status or None, limit=200
            )
        )
        escalated = None
        if c.can("command"):
            escalated, _ = attempt(lambda: dsvc.dashboard(engine, c.actor, c.tree))
        teams, _ = attempt(lambda: dsvc.list_teams(engine, c.actor, c.tree))
        due = (datetime.now(CHINA) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        return page(
            c,
            lang,
            "directives",
            "directives",
            listing=listing,
            error=error,
            escalated=escalated,
            teams=teams or [],
            box=box,
            status=status or "",
            saved=saved,
            priorities=PRIORITIES,
            regions=_region_options(app, c.root),
            due_default=due,
        )

    @app.get(
        "/{lang}/console/directives/{directive_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def directive(request: Request, lang: str, directive_id: int) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        found, error = attempt(lambda: dsvc.get(engine, c.actor, c.tree, directive_id))
        return page(c, lang, "directive", "directives", d=found, error=error)

    @app.get("/{lang}/console/timeliness", response_class=HTMLResponse, include_in_schema=False)
    def timeliness(
        request: Request,
        lang: str,
        date_from: str | None = None,
        date_to: str | None = None,
        region: str | None = None,
        level: str | None = None,
        source: str | None = None,
    ) -> Response:
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        last = _parse_date(date_to, china_today())
        first = _parse_date(date_from, last - timedelta(days=SCORECARD_DAYS - 1))
        card, error = attempt(
            lambda: tsvc.scorecard(
                engine,
                c.actor,
                c.tree,
                date_from=first,
                date_to=last,
                region=region or None,
                level=level or None,
                source=source or None,
            )
        )
        return page(
            c,
            lang,
            "timeliness",
            "timeliness",
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            region=region or "",
            level=level or "",
            source=source or "",
            card=card,
            error=error,
            regions=_region_options(app, c.root),
            units=UNITS,
        )

    from fangkong.web.resource_pages import install_public_resource_page, install_resource_pages

    install_resource_pages(app, signed_in, page, attempt, china_today)
    install_public_resource_page(app, render)

    @app.get("/{lang}/console/bulletins", response_class=HTMLResponse, include_in_schema=False)
    def bulletins(request: Request, lang: str, draft: int | None = None) -> Response:
        """Draft a daily bulletin, review its texts and checks, approve and publish it."""
        from fangkong.services import bulletins as bsvc

        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        shown, error = None, None
        if draft is not None:
            shown, error = attempt(lambda: bsvc.readable_bulletin(engine, c.actor, c.tree, draft))
        provinces = [r for r in _region_options(app, c.root) if r["depth"] <= 1]
        return page(
            c,
            lang,
            "bulletins",
            "bulletins",
            regions=[r for r in provinces if r["level"] in ("country", "province")],
            day=request.query_params.get("date") or "",
            draft=shown,
            error=error,
            drafts=bsvc.list_drafts(engine, limit=10, actor=c.actor, tree=c.tree),
            published=bsvc.list_published(engine, limit=10)["items"],
        )

    @app.get("/{lang}/console/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_log(
        request: Request,
        lang: str,
        actor: str | None = None,
        action: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        offset: int = 0,
        verify: str | None = None,
    ) -> Response:
        """The audit log (``READ_AUDIT``: administrators): the chain's verification,
        then the entries, newest first, filtered by actor, action and UTC dates.

        The verification is incremental (the entries since the checkpoint, and the
        checkpoint entry re-hashed: ``services.audit.verify_incremental``), so that a
        look at a long log stays cheap; ``verify=full`` (the page's button) walks the
        whole chain."""
        c = signed_in(request, lang)
        if not isinstance(c, Console):
            return c
        first_day = _parse_date(date_from, date.min) if date_from else None
        last_day = _parse_date(date_to, date.max) if date_to else None
        start = max(offset, 0)
        listing, error = attempt(
            lambda: asvc.list_entries(
                engine,
                c.actor,
                who=actor or None,
                action=action or None,
                date_from=first_day,
                date_to=last_day,
                limit=AUDIT_PAGE,
                offset=start,
            )
        )
        full = verify == "full"
        checked = asvc.check_for(engine, c.actor, full=full) if listing is not None else None
        filters = {
            k: v
            for k, v in (
                ("actor", actor),
                ("action", action),
                ("date_from", date_from),
                ("date_to", date_to),
            )
            if v
        }

        def url(at: int) -> str:
            query = urlencode({**filters, **({"offset": at} if at else {})})
            return f"/{lang}/console/audit" + (f"?{query}" if query else "")

        items = listing["items"] if listing else []
        total = listing["total"] if listing else 0
        response = page(
            c,
            lang,
            "audit",
            "audit",
            listing=listing,
            error=error,
            report=checked.report if checked else None,
            checked=checked,
            checked_at=_utc_seconds(checked.checked_at) if checked else "",
            full_at=(
                _utc_seconds(checked.checkpoint.full_verified_at)
                if checked and checked.checkpoint and checked.checkpoint.full_verified_at
                else ""
            ),
            who=actor or "",
            action=action or "",
            date_from=date_from or "",
            date_to=date_to or "",
            common_actions=AUDIT_ACTIONS,
            first=start + 1 if items else 0,
            last=start + len(items),
            prev_url=url(max(start - AUDIT_PAGE, 0)) if start > 0 else None,
            next_url=url(start + AUDIT_PAGE) if start + len(items) < total else None,
            summaries={e["id"]: _audit_summary(e["details"]) for e in items},
            texts={
                e["id"]: json.dumps(e["details"], ensure_ascii=False, indent=1, sort_keys=True)
                for e in items
            },
        )
        if listing is None:
            response.status_code = 403
        return response


def _utc_seconds(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS UTC``: when a verification ran."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _audit_summary(details: dict[str, Any]) -> str:
    """One line about an entry's details: rows written per table, counts, file hash."""
    parts: list[str] = []
    for table, counts in sorted((details.get("writes") or {}).items()):
        done = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()) if op != "columns")
        parts.append(f"{table}: {done}")
    for key in ("count", "rows", "status"):
        if key in details:
            parts.append(f"{key} {details[key]}")
    if "sha256" in details:
        parts.append(f"sha256 {str(details['sha256'])[:12]}…")
    return "; ".join(parts) or "…"
