"""Read models of the public pages: national overview, region page, world table.

Every figure is an aggregate of stored daily reports (no individual record is ever
read). The work is done in SQL — one grouped query per table, cumulative figures by
summation up to the "as of" day (:mod:`fangkong.core.reports`: only daily figures are
stored) — and the results are cached per (question, data version) by
:class:`PublicCache`, so a page view after the first costs one dictionary look-up.

Sources are never mixed within one series or one table (their cumulative totals
differ); each result names the source it used. Without a requested source, a region's
series comes from the source that covers it best (:func:`fangkong.services.regions.
pick_source`), a table of sub-regions from the source with the most sub-regions.

R_t on the map and in the tables is Cori et al. (2013) for the last 7-day window ending
on the "as of" day, from new confirmed cases by report date, with the serial interval
of Nishiura et al. (2020) (mean 4.7 d, sd 2.9 d, the forecast defaults). It is shown
only when the window holds at least :data:`RT_MIN_CASES` cases: Cori et al. advise
12 or more cases for a posterior coefficient of variation below 0.3; with fewer the
estimate is mostly prior. Days without a figure count as 0 and negative corrections
as 0, exactly as :mod:`fangkong.services.rt` does.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, and_, case, func, literal_column, or_, select

from fangkong.core.epi.rt import QUANTILES
from fangkong.services import rt as rt_svc
from fangkong.services.errors import Invalid, NotFound
from fangkong.services.forecast import DEFAULTS as FORECAST_DEFAULTS
from fangkong.services.regions import get_region, pick_source, source_coverage
from fangkong.store import changes
from fangkong.store import models as m

R = m.RegionRow
D = m.DailyReportRow
T = TypeVar("T")

#: Serial interval (days) and window of the R_t shown on public pages.
RT_SI_MEAN: float = FORECAST_DEFAULTS["si_mean"]
RT_SI_SD: float = FORECAST_DEFAULTS["si_sd"]
RT_WINDOW = 7
#: Fewest cases in the R_t window for an estimate to be shown (Cori et al. 2013).
RT_MIN_CASES = 12
#: Days summed for the incidence per 100,000 (the 14-day notification rate of ECDC).
INCIDENCE_DAYS = 14
#: Seconds a data version is trusted before the database is asked again.
VERSION_TTL = 1.0

#: Who publishes each source's figures and under which licence (shown wherever the
#: figures are displayed).
SOURCES: dict[str, dict[str, str]] = {
    "canghailan": {
        "zh": "国家卫生健康委员会及各省级卫生健康委员会通报，"
        "经 canghailan/Wuhan-2019-nCoV 整理（MIT 许可）",
        "en": "National Health Commission and provincial health commissions, compiled by "
        "canghailan/Wuhan-2019-nCoV (MIT licence)",
        "licence": "MIT",
        "url": "https://github.com/canghailan/Wuhan-2019-nCoV",
    },
    "ccdc": {
        "zh": "中国疾病预防控制中心疫情数据，经 chloefresh/COVID-19-history-data-of-CHINA 整理",
        "en": "China CDC dashboard figures, via chloefresh/COVID-19-history-data-of-CHINA "
        "(official figures)",
        "licence": "official government figures",
        "url": "https://github.com/chloefresh/COVID-19-history-data-of-CHINA",
    },
    "jhu": {
        "zh": "约翰斯·霍普金斯大学系统科学与工程中心（JHU CSSE）COVID-19 数据库（CC BY 4.0）",
        "en": "COVID-19 Data Repository by the Center for Systems Science and Engineering "
        "(CSSE) at Johns Hopkins University (CC BY 4.0)",
        "licence": "CC BY 4.0",
        "url": "https://github.com/CSSEGISandData/COVID-19",
    },
    "who": {
        "zh": "世界卫生组织 COVID-19 每日数据",
        "en": "World Health Organization, COVID-19 daily data",
        "licence": "WHO terms of use",
        "url": "https://data.who.int/dashboards/covid19/data",
    },
    "nhc": {
        "zh": "国家卫生健康委员会每日疫情通报",
        "en": "National Health Commission of the PRC, daily bulletins",
        "licence": "official government figures",
        "url": "http://www.nhc.gov.cn/xcs/yqtb/list_gzbd.shtml",
    },
    "fangkong": {
        "zh": "经本平台直报的数据",
        "en": "Reported through this platform",
        "licence": "CC BY 4.0",
        "url": "/api/v1/opendata",
    },
}


def source_info(source: str) -> dict[str, str]:
    """Attribution of ``source`` (a neutral line for a source not listed)."""
    return SOURCES.get(
        source,
        {"zh": f"数据来源：{source}", "en": f"Source: {source}", "licence": "", "url": ""},
    )


# --- cache -----------------------------------------------------------------------------


class PublicCache:
    """Results of read models, keyed by (question, data version).

    The data version (:func:`data_version`) changes whenever an import, an entry or a
    correction changes a daily report, a case record, a response level or a rule set;
    it is read at most once per ``ttl`` seconds, so a change is visible within ``ttl``
    seconds. Old entries are evicted in LRU order. A value being computed is computed
    once: concurrent requests for the same key wait for it ("single flight"), so a
    burst of first views of an expensive page costs one computation, not one per
    request.

    Published version. By default every answer is of the latest version. When a
    publisher (:mod:`fangkong.api.warming`) is running, it computes the most viewed
    answers of a new version in the background and then publishes it (:meth:`publish`); until
    then public readers keep getting the answers of the version published before
    (:meth:`served_versions`): "stale while revalidate" (RFC 5861 §3), so that a
    stream of new reports does not make every page view compute its read model again.
    A question not answered for the published version is computed for the latest.
    """

    def __init__(self, engine: Engine, *, ttl: float = VERSION_TTL, max_entries: int = 4096):
        self.engine = engine
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._version: str | None = None
        self._checked = 0.0
        self._published: str | None = None
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._last: dict[Hashable, Any] = {}

    def version(self) -> str:
        """The latest data version (read from the database at most once per ``ttl``)."""
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._checked < self.ttl:
                return self._version
        current = data_version(self.engine)
        with self._lock:
            self._version, self._checked = current, now
        return current

    @property
    def published(self) -> str | None:
        """The version last published, ``None`` without a publisher."""
        return self._published

    def publish(self, version: str) -> None:
        """Public answers are of ``version`` (or later) from now on."""
        with self._lock:
            self._published = version

    def served_versions(self, *, fresh: bool = False) -> tuple[str, ...]:
        """Versions whose answers may be given, preferred first; the last is the latest.

        ``fresh``: the caller must see the latest version (a signed-in user who has
        just entered figures; the publisher itself)."""
        latest = self.version()
        published = self._published
        if fresh or published is None or published == latest:
            return (latest,)
        return (published, latest)

    def peek(self, key: Hashable, version: str) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` is kept for ``version``, else ``(False, None)``."""
        full = (key, version)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return True, self._items[full]
        return False, None

    def last(self, key: Hashable) -> Any:
        """The value of ``key`` computed last with ``remember``, for whichever version
        (``None`` if never): the base of values brought up to date incrementally."""
        with self._lock:
            return self._last.get(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._last.clear()
            self._version = None
            self._published = None

    def get(
        self,
        key: Hashable,
        compute: Callable[[], T],
        *,
        version: str | None = None,
        remember: bool = False,
    ) -> T:
        """The cached value of ``key`` at ``version`` (default: the current data
        version), computed on a miss. ``remember``: also keep it as :meth:`last` (beyond
        LRU eviction; only for a few keys)."""
        full = (key, version if version is not None else self.version())
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[no-any-return]
            flight = self._computing.setdefault(full, threading.Lock())
        with flight:
            with self._lock:
                if full in self._items:  # computed by the request we waited for
                    self._items.move_to_end(full)
                    return self._items[full]  # type: ignore[no-any-return]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(full, None)
            with self._lock:
                self._items[full] = value
                if remember:
                    self._last[key] = value
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
        return value


def data_version(engine: Engine) -> str:
    """A token that changes whenever the figures behind the public pages change.

    It is made of the last import, daily report, revision and case record ids and the
    last update time of a daily report. Every change of a stored figure moves one of
    them: a new report or case row takes a new id, an update of a report sets its
    ``updated_at``, a correction of a case record, a response-level change and a new
    risk rule set each write a revision. Daily reports are never deleted. Each part is
    one index probe (``daily_reports.updated_at`` is indexed by migration 0008), so
    the check costs well under a millisecond on a national dataset.

    The last part is the commit-ordered change counter (:mod:`fangkong.store.changes`):
    on PostgreSQL a transaction that wrote before another but commits after it adds no
    larger id or time, and only the counter shows its commit.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(
                select(func.max(m.ImportRow.id)).scalar_subquery(),
                select(func.max(D.id)).scalar_subquery(),
                select(func.max(m.RevisionRow.id)).scalar_subquery(),
                select(func.max(m.CaseRecordRow.id)).scalar_subquery(),
                select(func.max(D.updated_at)).scalar_subquery(),
                changes.COUNTER,
            )
        ).one()
    return "-".join("" if v is None else str(v) for v in row)


# --- helpers ---------------------------------------------------------------------------


def _sum(column: Any, when: Any = None) -> Any:
    if when is None:
        return func.sum(column)
    return func.sum(case((when, column), else_=None))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _per_100k(count: int | None, population: int | None) -> float | None:
    if count is None or not population:
        return None
    return round(count * 100_000 / population, 2)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_day(text: str | None) -> date | None:
    """An ISO date from a query string, or ``None``; anything else is :class:`Invalid`."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not an ISO date (YYYY-MM-DD)", field="date") from None


def date_span(engine: Engine, region_codes: Sequence[str], source: str) -> tuple[date, date] | None:
    """First and last report date of ``source`` over ``region_codes``."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(D.report_date), func.max(D.report_date)).where(
                D.source == source, D.region_code.in_(region_codes)
            )
        ).one()
    if first is None:
        return None
    return _as_date(first), _as_date(last)


def _resolve_day(day: date | None, span: tuple[date, date]) -> date:
    """The requested day, or the latest day with data; a day outside the data is
    Invalid (naming the span) rather than an empty page."""
    if day is None:
        return span[1]
    if day < span[0] or day > span[1]:
        raise Invalid(
            f"no figures for {day.isoformat()}: the data run from {span[0].isoformat()} "
            f"to {span[1].isoformat()}",
            field="date",
        )
    return day


def region_source(
    engine: Engine,
    region_code: str,
    source: str | None,
    priority: tuple[str, ...],
    day: date | None = None,
) -> tuple[str | None, list[str]]:
    """The source of a region's series (the requested one, or the one covering the most
    days up to ``day``; ties in ``priority`` order) and every source with figures for it."""
    coverage = source_coverage(engine, region_code, None, day)
    available = sorted(coverage)
    if source is not None:
        if source not in coverage:
            raise NotFound(
                f"region {region_code} has no figures from source {source!r}; "
                f"available: {', '.join(available) or 'none'}",
                field="source",
            )
        return source, available
    return pick_source(coverage, priority), available


# --- headline figures and curve ----------------------------------------------------------


HEADLINE_KEYS: tuple[str, ...] = (
    "new_confirmed",
    "current_confirmed",
    "cumulative_confirmed",
    "cumulative_deaths",
    "cumulative_recovered",
    "current_severe",
    "current_suspected",
)


def headline(engine: Engine, region_code: str, day: date, source: str) -> dict[str, Any]:
    """The headline figures of a region on ``day`` and their change from the day before.

    Cumulative figures sum every stored day up to ``day``; current confirmed is
    cumulative confirmed − recovered − deaths; severe and suspected are stocks reported
    for the day. ``value`` is ``None`` when the source does not report a figure;
    ``change`` is ``None`` when either day lacks it.
    """
    prev = day - timedelta(days=1)
    on_day, on_prev = D.report_date == day, D.report_date == prev
    with engine.connect() as conn:
        row = conn.execute(
            select(
                _sum(D.new_confirmed),
                _sum(D.new_deaths),
                _sum(D.new_recovered),
                _sum(D.new_confirmed, on_day),
                _sum(D.new_confirmed, on_prev),
                _sum(D.new_deaths, on_day),
                _sum(D.new_recovered, on_day),
                _sum(D.current_severe, on_day),
                _sum(D.current_severe, on_prev),
                _sum(D.current_suspected, on_day),
                _sum(D.current_suspected, on_prev),
                func.count(case((on_day, 1), else_=None)),
            ).where(D.region_code == region_code, D.source == source, D.report_date <= day)
        ).one()
    (cum_c, cum_d, cum_r, new_c, prev_c, new_d, new_r, sev, prev_sev, sus, prev_sus, n_day) = [
        _int(v) for v in row
    ]
    cum_c, cum_d, cum_r = cum_c or 0, cum_d or 0, cum_r or 0

    def delta(a: int | None, b: int | None) -> int | None:
        return None if a is None or b is None else a - b

    current = cum_c - cum_r - cum_d  # never None: sums of no rows are 0
    current_change = None if new_c is None else new_c - (new_r or 0) - (new_d or 0)
    figures = {
        "new_confirmed": (new_c, delta(new_c, prev_c)),
        "current_confirmed": (current, current_change),
        "cumulative_confirmed": (cum_c, new_c),
        "cumulative_deaths": (cum_d, new_d),
        "cumulative_recovered": (cum_r, new_r),
        "current_severe": (sev, delta(sev, prev_sev)),
        "current_suspected": (sus, delta(sus, prev_sus)),
    }
    return {
        "reported_on_day": bool(n_day),
        "figures": {k: {"value": v, "change": c} for k, (v, c) in figures.items()},
    }


def curve(engine: Engine, region_code: str, day: date, source: str) -> list[dict[str, Any]]:
    """Daily new confirmed cases up to ``day`` split into local and imported where the
    source splits them; ``unsplit`` holds the days' cases of a source that does not."""
    cols = (D.report_date, D.new_confirmed, D.new_confirmed_imported, D.new_deaths)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*cols)
            .where(D.region_code == region_code, D.source == source, D.report_date <= day)
            .order_by(D.report_date)
        ).all()
    out: list[dict[str, Any]] = []
    for report_date, new, imported, deaths in rows:
        local = None if new is None or imported is None else new - imported
        split = local is not None
        out.append(
            {
                "date": _as_date(report_date).isoformat(),
                "new_confirmed": new,
                "local": local,
                "imported": imported if split else None,
                "unsplit": None if split else new,
                "new_deaths": deaths,
            }
        )
    return out


# --- R_t for many regions at once ---------------------------------------------------------


def latest_rt(
    engine: Engine, region_codes: Sequence[str], day: date, source: str
) -> dict[str, dict[str, float | int | None]]:
    """R_t of the last :data:`RT_WINDOW`-day window ending on ``day`` for each region,
    estimated for all regions in one vectorised call (one SQL query for the series).

    ``mean`` and the 95% interval are ``None`` where the window holds fewer than
    :data:`RT_MIN_CASES` cases; ``cases`` is the window's count.
    """
    if not region_codes:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(D.region_code, D.report_date, D.new_confirmed, D.new_confirmed_imported).where(
                D.source == source, D.region_code.in_(region_codes), D.report_date <= day
            )
        ).all()
    if not rows:
        return {}
    codes, report_dates, news, imps = zip(*rows, strict=True)
    as_date = {d: _as_date(d) for d in set(report_dates)}
    first = min(as_date.values())
    n_days = (day - first).days + 1
    index = {code: i for i, code in enumerate(region_codes)}
    total = np.zeros((len(region_codes), n_days))
    imported = np.zeros_like(total)
    # One report per (region, day, source): plain fancy-index assignment, no loop.
    u = np.fromiter((index[c] for c in codes), dtype=np.int64, count=len(rows))
    offset = {d: (v - first).days for d, v in as_date.items()}
    t = np.fromiter((offset[d] for d in report_dates), dtype=np.int64, count=len(rows))
    new = np.maximum(np.array([v or 0 for v in news], dtype=np.float64), 0)
    imp = np.maximum(np.array([v or 0 for v in imps], dtype=np.float64), 0)
    total[u, t] = new
    imported[u, t] = np.minimum(imp, new)
    local = total - imported
    window_cases = total[:, -RT_WINDOW:].sum(axis=1)
    out: dict[str, dict[str, float | int | None]] = {
        code: {"mean": None, "lower": None, "upper": None, "cases": int(window_cases[i])}
        for code, i in index.items()
    }
    if n_days < RT_WINDOW + 1:
        return out
    est = rt_svc.estimate(
        local,
        imported,
        si_mean=RT_SI_MEAN,
        si_sd=RT_SI_SD,
        t_start=[n_days - RT_WINDOW + 1],
        t_end=[n_days],
    )
    lo, hi = QUANTILES.index(0.025), QUANTILES.index(0.975)
    for code, i in index.items():
        if window_cases[i] >= RT_MIN_CASES and np.isfinite(est.mean[i, 0]):
            out[code].update(
                mean=round(float(est.mean[i, 0]), 3),
                lower=round(float(est.quantiles[i, 0, lo]), 3),
                upper=round(float(est.quantiles[i, 0, hi]), 3),
            )
    return out


# --- tables of sub-regions -----------------------------------------------------------------


def _children(engine: Engine, parent_code: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(R.region_code, R.level, R.name_zh, R.name_en, R.population)
                .where(R.parent_code == parent_code)
                .order_by(R.region_code)
            ).all()
        )


def _best_table_source(
    engine: Engine, codes: Sequence[str], priority: tuple[str, ...], day: date | None
) -> str | None:
    """The source with figures up to ``day`` for the most of ``codes`` (ties:
    ``priority`` order)."""
    if not codes:
        return None
    query = select(D.source, func.count(func.distinct(D.region_code))).where(
        D.region_code.in_(codes)
    )
    if day is not None:
        query = query.where(D.report_date <= day)
    with engine.connect() as conn:
        rows = conn.execute(query.group_by(D.source)).all()
    return pick_source({src: int(n) for src, n in rows}, priority)


def table_sources(engine: Engine, codes: Sequence[str]) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(D.source).where(D.region_code.in_(codes)).group_by(D.source)
        ).all()
    return sorted(r[0] for r in rows)


def _aggregate(
    engine: Engine, key: Any, where: Sequence[Any], day: date, source: str
) -> dict[str, dict[str, Any]]:
    """Per ``key``: cumulative confirmed, deaths, recovered, the day's new cases and
    deaths, the last 14 days' and 7 days' cases and the last day with a figure."""
    since14 = day - timedelta(days=INCIDENCE_DAYS - 1)
    since7 = day - timedelta(days=6)
    on_day = D.report_date == day
    query = (
        select(
            key.label("code"),
            _sum(D.new_confirmed),
            _sum(D.new_deaths),
            _sum(D.new_recovered),
            _sum(D.new_confirmed, on_day),
            _sum(D.new_deaths, on_day),
            _sum(D.new_confirmed, D.report_date >= since14),
            _sum(D.new_confirmed, D.report_date >= since7),
            func.max(D.report_date),
        )
        .select_from(D)
        .join(R, R.region_code == D.region_code)
        .where(D.source == source, D.report_date <= day, *where)
        .group_by(key)
    )
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for code, cc, cd, cr, nc, nd, n14, n7, last in conn.execute(query).all():
            cum_c, cum_d, cum_r = int(cc or 0), int(cd or 0), int(cr or 0)
            out[code] = {
                "cumulative_confirmed": cum_c,
                "cumulative_deaths": cum_d,
                "cumulative_recovered": cum_r,
                "current_confirmed": cum_c - cum_r - cum_d,
                "new_confirmed": _int(nc),
                "new_deaths": _int(nd),
                "cases_14d": int(n14 or 0),
                "cases_7d": int(n7 or 0),
                "last_date": _as_date(last).isoformat(),
            }
    return out


def subregion_table(
    engine: Engine,
    parent_code: str,
    day: date | None,
    *,
    source: str | None = None,
    priority: tuple[str, ...] = (),
    with_rt: bool = True,
) -> dict[str, Any]:
    """Every sub-region of ``parent_code`` with its figures on ``day`` from one source.

    Sub-regions without figures are listed too (``figures`` is ``None``), so the list of
    sub-regions is complete. ``day`` defaults to the source's last day for them.
    """
    kids = _children(engine, parent_code)
    codes = [k.region_code for k in kids]
    chosen = source if source is not None else _best_table_source(engine, codes, priority, day)
    sources = table_sources(engine, codes)
    if source is not None and source not in sources:
        raise NotFound(
            f"no sub-region of {parent_code} has figures from source {source!r}; "
            f"available: {', '.join(sources) or 'none'}",
            field="source",
        )
    span = date_span(engine, codes, chosen) if chosen else None
    result: dict[str, Any] = {
        "parent_code": parent_code,
        "source": chosen,
        "sources": sources,
        "first_date": span[0].isoformat() if span else None,
        "last_date": span[1].isoformat() if span else None,
        "date": None,
        "rt": {
            "si_mean": RT_SI_MEAN,
            "si_sd": RT_SI_SD,
            "window": RT_WINDOW,
            "min_cases": RT_MIN_CASES,
        },
        "items": [],
    }
    figures: dict[str, dict[str, Any]] = {}
    rts: dict[str, dict[str, Any]] = {}
    if chosen is not None and span is not None:
        # The parent's "as of" day; sub-regions whose source ends earlier show its last day.
        the_day = span[1] if day is None else min(day, span[1])
        result["date"] = the_day.isoformat()
        if the_day >= span[0]:
            where = [D.region_code.in_(codes)]
            figures = _aggregate(engine, D.region_code, where, the_day, chosen)
            if with_rt:
                rts = latest_rt(engine, codes, the_day, chosen)
    for kid in kids:
        fig = figures.get(kid.region_code)
        if fig is not None:
            fig = dict(fig)
            fig["incidence_14d"] = _per_100k(fig["cases_14d"], kid.population)
            fig["rt"] = rts.get(kid.region_code)
        result["items"].append(
            {
                "region_code": kid.region_code,
                "level": kid.level,
                "name_zh": kid.name_zh,
                "name_en": kid.name_en,
                "population": kid.population,
                "figures": fig,
            }
        )
    return result


# --- pages -----------------------------------------------------------------------------------


def region_overview(
    engine: Engine,
    region_code: str,
    day: date | None,
    *,
    source: str | None = None,
    priority: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A region's headline figures on ``day`` (default: its source's last day), its
    curve up to ``day``, its parents (for the breadcrumb) and its sources."""
    region = get_region(engine, region_code)
    if day is None and region_code != "CN" and region_code.isdigit():
        # A Chinese region is shown as of the national day, so that pages agree.
        day = default_national_day(engine, priority)
    chosen, available = region_source(engine, region_code, source, priority, day)
    parents: list[dict[str, str]] = []
    parent = region.parent_code
    while parent is not None:
        info = get_region(engine, parent)
        parents.insert(
            0, {"region_code": info.region_code, "name_zh": info.name_zh, "name_en": info.name_en}
        )
        parent = info.parent_code
    out: dict[str, Any] = {
        "region": region.as_dict(),
        "parents": parents,
        "source": chosen,
        "sources": available,
        "first_date": None,
        "last_date": None,
        "date": None,
        "headline": None,
        "curve": [],
    }
    if chosen is None:
        return out
    span = date_span(engine, [region_code], chosen)
    assert span is not None  # the source has rows for the region
    # A day after the source's last day shows the last day; a day before its first
    # day shows no figures (the region had none yet), never an error page.
    the_day = span[1] if day is None else min(day, span[1])
    out.update(
        first_date=span[0].isoformat(), last_date=span[1].isoformat(), date=the_day.isoformat()
    )
    if the_day >= span[0]:
        out["headline"] = headline(engine, region_code, the_day, chosen)
        out["curve"] = curve(engine, region_code, the_day, chosen)
    return out


def default_national_day(engine: Engine, priority: tuple[str, ...]) -> date | None:
    """The last day of China's national series (the default "as of" of Chinese pages)."""
    chosen, _ = region_source(engine, "CN", None, priority)
    if chosen is None:
        return None
    span = date_span(engine, ["CN"], chosen)
    return span[1] if span else None


def national_overview(
    engine: Engine,
    day: date | None,
    *,
    source: str | None = None,
    province_source: str | None = None,
    priority: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The national page: China's headline figures and curve, and the 34 provinces."""
    nation = region_overview(engine, "CN", day, source=source, priority=priority)
    the_day = parse_day(nation["date"]) or day
    nation["provinces"] = subregion_table(
        engine, "CN", the_day, source=province_source, priority=priority
    )
    return nation


# --- world ----------------------------------------------------------------------------------


def country_key() -> Any:
    """The country of a row: the region itself for a country, the parent for a province
    (China's provinces, incl. Hong Kong, Macao and Taiwan, count towards China)."""
    # The constant is inlined so that the SELECT and GROUP BY texts are identical
    # (PostgreSQL compares them; two bound parameters would differ).
    return case((R.level == literal_column("'country'"), R.region_code), else_=R.parent_code)


def country_filter(engine: Engine, source: str) -> Any:
    """Rows that make up a country's figures in ``source``: the country's own rows, and a
    province's rows only when the source has no country-level row for that country
    (summing both would count the cases twice)."""
    with engine.connect() as conn:
        own = [
            r[0]
            for r in conn.execute(
                select(D.region_code)
                .join(R, R.region_code == D.region_code)
                .where(D.source == source, R.level == "country")
                .group_by(D.region_code)
            ).all()
        ]
    return or_(
        R.level == "country",
        and_(R.level == "province", R.parent_code.not_in(own) if own else R.level == "province"),
    )


def _country_counts(engine: Engine) -> dict[str, int]:
    """Per source, how many countries it has figures for (provinces count for their
    country)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(D.source, func.count(func.distinct(country_key())))
            .join(R, R.region_code == D.region_code)
            .where(R.level.in_(("country", "province")))
            .group_by(D.source)
        ).all()
    return {src: int(n) for src, n in rows}


def world_sources(engine: Engine) -> list[str]:
    """Sources with country figures (their own, or summed from provinces)."""
    return sorted(_country_counts(engine))


def world_table(
    engine: Engine, day: date | None, *, source: str | None = None, priority: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Every country with figures in ``source`` (default: the source covering the most
    countries), cumulative and new on ``day``; countries are ISO 3166-1 alpha-2."""
    sources = world_sources(engine)
    if source is not None and source not in sources:
        raise NotFound(
            f"no country has figures from source {source!r}; available: "
            f"{', '.join(sources) or 'none'}",
            field="source",
        )
    chosen = source
    if chosen is None and sources:
        chosen = pick_source(_country_counts(engine), priority)
    out: dict[str, Any] = {
        "source": chosen,
        "sources": sources,
        "first_date": None,
        "last_date": None,
        "date": None,
        "items": [],
    }
    if chosen is None:
        return out
    where = [country_filter(engine, chosen)]
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(D.report_date), func.max(D.report_date))
            .join(R, R.region_code == D.region_code)
            .where(D.source == chosen, *where)
        ).one()
    span = (_as_date(first), _as_date(last))
    the_day = _resolve_day(day, span)
    figures = _aggregate(engine, country_key(), where, the_day, chosen)
    names = _names(engine, figures)
    items: list[dict[str, Any]] = []
    for code, fig in figures.items():
        name_zh, name_en, population = names.get(code, (code, code, None))
        items.append(
            {
                "region_code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "population": population,
                "figures": fig,
            }
        )
    items.sort(key=lambda i: -int(i["figures"]["cumulative_confirmed"]))
    out.update(
        first_date=span[0].isoformat(),
        last_date=span[1].isoformat(),
        date=the_day.isoformat(),
        items=items,
    )
    return out


def _names(engine: Engine, codes: Iterable[str]) -> dict[str, tuple[str, str, int | None]]:
    wanted = list(codes)
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(R.region_code, R.name_zh, R.name_en, R.population).where(
                R.region_code.in_(wanted)
            )
        ).all()
    return {r.region_code: (r.name_zh, r.name_en, r.population) for r in rows}
