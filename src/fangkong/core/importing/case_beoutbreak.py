"""The ``beoutbreakprepared`` line lists of 2020 (Xu B. et al., "Epidemiological data
from the COVID-19 outbreak, real-time case information", Scientific Data 7:106, 2020).

The lists were typed by volunteers from official bulletins and news, so cells are messy.
Every rule below is documented in ``docs/formats.md`` (cases section); a row changed by
a rule is accepted with a ``repair`` issue that keeps the original value, and a row that
cannot be read is rejected with an ``error`` issue:

* Case identity: the list's ``ID`` restarts at 1 in each of its two files, so
  ``case_id`` is ``hubei-<ID>`` or ``outside_hubei-<ID>`` (the list is recognised by its
  header); ``source`` is ``beoutbreakprepared``; every case is ``confirmed``.
* Dates are ``dd.mm.yyyy``. A range ``a - b`` becomes its last day ``b`` (repair). An
  upper bound ``pre X`` is not a date: the field is stored unknown (repair) rather than
  invented as X−1. Text such as ``early january`` is stored unknown (repair). A value of
  date form that is not a calendar date (``31.02.2020``) rejects the row.
* Onset after confirmation is kept as published (detection of pre-symptomatic cases
  makes it possible) and flagged (repair issue, nothing changed).
* Ages: ``66`` → ``age_years``; ``0.5`` → 0 completed years; ``40-49`` and ``80+`` →
  ``age_band`` (``60-60`` → 60 years); ``N/A`` → unknown; other text → unknown
  (repair); a negative age rejects the row.
* Place: the most specific region found: a county or prefecture named in ``city``
  within ``province`` (China), else the province with a repair issue naming the city
  not found, else ``CN``; abroad, the country (the reference regions have no foreign
  subdivisions). An unknown country rejects the row.
* ``imported`` is true when ``travel_history_location`` names a place outside the
  case's province (China) or country (abroad), or — for a case outside Hubei —
  ``wuhan(0)_not_wuhan(1)`` is 0 or ``lives_in_Wuhan`` is yes (the case came from
  Wuhan). It is false when the travel places named all lie in the case's own province,
  or the travel cell says ``no``; unknown otherwise. ``origin`` is the travel text (or
  ``Wuhan``).
* Outcome: discharged / discharge / recovered → recovered; died / death → died;
  stable → under treatment; ``severe`` / ``critical…`` → under treatment with that
  severity; other text → unknown (repair). ``date_death_or_discharge`` is the outcome
  date when the outcome is recovered or died.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from fangkong.core.cases import CASE_FIELDS
from fangkong.core.importing.case_formats import CaseBatch, CaseRowChecker, width_issue
from fangkong.core.importing.case_gazetteer import Gazetteer
from fangkong.core.importing.reading import CsvRow
from fangkong.core.validation import RowIssue

SOURCE = "beoutbreakprepared"
DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
RANGE = re.compile(r"^(\S+)\s*-\s*(\S+)$")
PRE = re.compile(r"^(?:pre|before)\s+(\S+)$", re.IGNORECASE)
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
BAND = re.compile(r"^(\d{1,3})\s*-\s*(\d{1,3})$")
PLUS = re.compile(r"^(\d{1,3})\s*\+$")
UNKNOWN = frozenset({"", "na", "n/a", "none", "unknown", "nan", "-"})
OUTCOMES = {
    "discharged": ("recovered", ""),
    "discharge": ("recovered", ""),
    "recovered": ("recovered", ""),
    "died": ("died", ""),
    "death": ("died", ""),
    "dead": ("died", ""),
    "deceased": ("died", ""),
    "stable": ("under_treatment", ""),
    "severe": ("under_treatment", "severe"),
    "critical": ("under_treatment", "critical"),
}
TRAVEL_SPLIT = re.compile(r",|;|/|\bvia\b|\bthen to\b|\bthen\b|\band\b", re.IGNORECASE)
#: The list's column each ``fangkong-cases`` field comes from, so that an issue found
#: checking the converted row names the cell of the file.
SOURCE_COLUMNS = {
    "case_id": "ID",
    "onset_date": "date_onset_symptoms",
    "confirmation_date": "date_confirmation",
    "outcome_date": "date_death_or_discharge",
    "age_years": "age",
    "age_band": "age",
    "sex": "sex",
    "origin": "travel_history_location",
    "imported": "travel_history_location",
    "region_code": "city",
}


def list_name(header: Sequence[str]) -> str:
    """Which of the two lists a header belongs to (their ``ID`` ranges overlap)."""
    if "admin_id" in header or "admin1" in header:
        return "hubei"
    if "data_moderator_initials" in header:
        return "outside_hubei"
    return "list"


def messy_date(text: str) -> tuple[str, str | None, bool]:
    """``(iso_text, note, is_error)`` for a ``dd.mm.yyyy``-style cell; ``iso_text`` is
    empty when the date is unknown, ``note`` explains a repair or an error."""
    s = text.strip()
    if s.lower() in UNKNOWN:
        return "", None, False
    match = DMY.match(s)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat(), None, False
        except ValueError:
            return "", "not a calendar date", True
    ranged = RANGE.match(s)
    if ranged and DMY.match(ranged.group(1)) and DMY.match(ranged.group(2)):
        end, note, bad = messy_date(ranged.group(2))
        if bad:
            return "", note, True
        return end, "date range reduced to its last day", False
    if PRE.match(s):
        return "", "upper bound only ('pre' date): stored as unknown", False
    return "", "not a date: stored as unknown", False


def messy_age(text: str) -> tuple[str, str, str | None, bool]:
    """``(age_years, age_band, note, is_error)`` as cell texts."""
    s = text.strip()
    if s.lower() in UNKNOWN:
        return "", "", None, False
    if s.startswith("-") and NUMBER.match(s[1:]):
        return "", "", "negative age", True
    if NUMBER.match(s):
        return str(int(float(s))), "", None, False
    band = BAND.match(s)
    if band:
        low, high = band.groups()
        if low == high:
            return low, "", None, False
        return "", f"{int(low)}-{int(high)}", None, False
    plus = PLUS.match(s)
    if plus:
        return "", f"{int(plus.group(1))}+", None, False
    return "", "", "not an age: stored as unknown", False


class BeoutbreakParser:
    """Turns rows of either beoutbreakprepared list into checked case rows."""

    def __init__(
        self, header: Sequence[str], gazetteer: Gazetteer, checker: CaseRowChecker
    ) -> None:
        self.col = {name: i for i, name in enumerate(header)}
        self.width = len(header)
        self.list = list_name(header)
        self.gaz = gazetteer
        self.checker = checker
        self.file = checker.file

    def _get(self, cells: list[str], name: str) -> str:
        i = self.col.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def region(self, cells: list[str], line: int, issues: list[RowIssue]) -> str:
        country = self._get(cells, "country")
        province = self._get(cells, "province")
        city = self._get(cells, "city")
        country_code = self.gaz.country(country) if country else None
        if country and country_code is None:
            issues.append(RowIssue(self.file, line, "country", country, "unknown country"))
            return ""
        if country_code not in (None, "CN"):
            return country_code or ""
        province_code = self.gaz.province(province) if province else None
        if province_code is None:
            if province:
                issues.append(
                    RowIssue(
                        self.file,
                        line,
                        "province",
                        province,
                        "unknown province: region reduced to China (CN)",
                        "repair",
                    )
                )
            elif not country:
                issues.append(
                    RowIssue(self.file, line, "country", "", "no country, province or city")
                )
                return ""
            return "CN"
        if not city:
            return province_code
        best: str | None = None
        parts = [p for p in (q.strip() for q in city.split(",")) if p]
        found = [self.gaz.place(province_code, p) for p in reversed(parts)]
        prefecture = next((f for f in found if f and self.gaz.parent.get(f) == province_code), None)
        for part in parts:
            code = self.gaz.place(province_code, part, under=prefecture)
            if code is not None and (best is None or self.gaz.depth(code) > self.gaz.depth(best)):
                best = code
        if best == province_code:
            return province_code
        if best is None:
            issues.append(
                RowIssue(
                    self.file,
                    line,
                    "city",
                    city,
                    f"city not found in {province}: region reduced to the province",
                    "repair",
                )
            )
            return province_code
        return best

    def imported(self, cells: list[str], region: str) -> tuple[str, str]:
        travel = self._get(cells, "travel_history_location")
        home_province = self.gaz.province_of(region) if region else None
        home = home_province or (self.gaz.country_of(region) if region else None)
        if travel:
            if travel.lower() in ("no", "none", "n/a", "na"):
                return "false", ""
            found = [self.gaz.place_anywhere(p) for p in TRAVEL_SPLIT.split(travel) if p]
            places = [p for p in found if p is not None]
            if places and home:
                outside = [
                    p for p in places if (self.gaz.province_of(p) or self.gaz.country_of(p)) != home
                ]
                return ("true", travel[:128]) if outside else ("false", "")
        wuhan_flag = self._get(cells, "wuhan(0)_not_wuhan(1)")
        lives = self._get(cells, "lives_in_Wuhan").lower()
        if (
            home_province is not None
            and home_province != "420000"
            and (wuhan_flag == "0" or lives in ("yes", "1"))
        ):
            return "true", "Wuhan"
        return "", ""

    def convert(self, row: CsvRow) -> tuple[list[str], list[RowIssue]]:
        """The ``fangkong-cases`` cells of one row and the issues found converting it."""
        cells, line = row.fields, row.line
        issues: list[RowIssue] = []
        out = dict.fromkeys(CASE_FIELDS, "")
        out["source"] = SOURCE
        case_id = self._get(cells, "ID")
        out["case_id"] = f"{self.list}-{case_id}" if case_id else ""
        out["classification"] = "confirmed"
        out["region_code"] = self.region(cells, line, issues)
        for column, target in (
            ("date_onset_symptoms", "onset_date"),
            ("date_confirmation", "confirmation_date"),
            ("date_death_or_discharge", "outcome_date"),
        ):
            raw = self._get(cells, column)
            value, note, bad = messy_date(raw)
            out[target] = value
            if note:
                issues.append(
                    RowIssue(self.file, line, column, raw, note, "error" if bad else "repair")
                )
        years, band, note, bad = messy_age(self._get(cells, "age"))
        out["age_years"], out["age_band"] = years, band
        if note:
            issues.append(
                RowIssue(
                    self.file,
                    line,
                    "age",
                    self._get(cells, "age"),
                    note,
                    "error" if bad else "repair",
                )
            )
        sex = self._get(cells, "sex").lower()
        if sex in ("male", "female"):
            out["sex"] = sex
        elif sex not in UNKNOWN:
            issues.append(
                RowIssue(self.file, line, "sex", sex, "not a sex: stored as unknown", "repair")
            )
        outcome_text = self._get(cells, "outcome")
        key = outcome_text.lower()
        if key.startswith("critical"):
            key = "critical"
        if key in OUTCOMES:
            out["outcome"], out["severity"] = OUTCOMES[key]
        elif key not in UNKNOWN:
            issues.append(
                RowIssue(
                    self.file,
                    line,
                    "outcome",
                    outcome_text,
                    "outcome not recognised: stored as unknown",
                    "repair",
                )
            )
        if out["outcome"] not in ("recovered", "died") and out["outcome_date"]:
            issues.append(
                RowIssue(
                    self.file,
                    line,
                    "date_death_or_discharge",
                    out["outcome_date"],
                    "date of death or discharge without a known outcome: stored as unknown",
                    "repair",
                )
            )
            out["outcome_date"] = ""
        if (
            out["onset_date"]
            and out["confirmation_date"]
            and out["onset_date"] > out["confirmation_date"]
        ):
            issues.append(
                RowIssue(
                    self.file,
                    line,
                    "date_onset_symptoms",
                    self._get(cells, "date_onset_symptoms"),
                    "onset after confirmation: both kept as published",
                    "repair",
                )
            )
        out["imported"], out["origin"] = self.imported(cells, out["region_code"])
        return [out[f] for f in CASE_FIELDS], issues

    def _check(self, row: CsvRow, cells: list[str]) -> tuple[str, ...] | list[RowIssue]:
        """The checked row, or its issues naming the list's own columns and cells."""
        result = self.checker.check(row.line, cells)
        if isinstance(result, tuple):
            return result
        named = []
        for issue in result:
            column = SOURCE_COLUMNS.get(issue.column, issue.column)
            value = self._get(row.fields, column) if column in self.col else issue.value
            named.append(
                RowIssue(issue.file, issue.line, column, value, issue.reason, issue.severity)
            )
        return named

    def parse(self, rows: Iterable[CsvRow], batch_rows: int) -> Iterator[CaseBatch]:
        batch = CaseBatch()
        for row in rows:
            batch.rows_read += 1
            if row.error is not None:
                shown = ",".join(row.fields)[:200]
                batch.rejects.append(
                    (row.fields, [RowIssue(self.file, row.line, "*", shown, row.error)])
                )
            elif len(row.fields) != self.width:
                batch.rejects.append(
                    (row.fields, [width_issue(self.file, row.line, len(row.fields), self.width)])
                )
            else:
                cells, issues = self.convert(row)
                errors = [i for i in issues if i.severity == "error"]
                result = errors if errors else self._check(row, cells)
                if isinstance(result, tuple):
                    batch.rows.append(result)
                    batch.repairs.extend(issues)
                else:
                    batch.rejects.append(
                        (row.fields, [*errors, *(i for i in result if i not in errors)])
                    )
            if batch.rows_read >= batch_rows:
                yield batch
                batch = CaseBatch()
        if batch.rows_read:
            yield batch
