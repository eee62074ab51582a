"""Field rules of the ``fangkong-cases`` layout, shared by the CSV, JSON and API paths.

Each rule turns the text of one cell into the stored value or raises
:class:`ValueError` whose message is the reason shown to the reporter. Values are
*storage-ready*: dates stay ISO 8601 strings (``YYYY-MM-DD``, ISO 8601 calendar date,
extended format) because both databases accept that text as a ``DATE``; booleans become
``bool``; counts ``int``. The import fast path caches the result of every rule on the
cell's text (dates, codes and ages repeat across a line list), so a rule runs once per
distinct value, not once per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from fangkong.core.cases import CASE_FIELDS, Classification, Outcome, Severity, Sex

#: Oldest plausible date in a line list (any earlier value is a typing error).
EARLIEST_DATE = date(1900, 1, 1)
#: Oldest plausible age in completed years.
MAX_AGE_YEARS = 130
MAX_ID_CHARS = 64
MAX_ORIGIN_CHARS = 128
AGE_BAND_RE = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|\+)$")
#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
#: Injection"): free-text identifiers may not start with them.
FORMULA_STARTS = "=+-@"

#: Required columns (``source`` may instead come from ``--source``).
REQUIRED_FIELDS: tuple[str, ...] = ("case_id", "region_code", "classification")
DATE_FIELDS: frozenset[str] = frozenset(
    {"onset_date", "confirmation_date", "report_date", "outcome_date"}
)

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
SEX_WORDS: dict[str, str] = {
    "female": Sex.FEMALE.value,
    "f": Sex.FEMALE.value,
    "女": Sex.FEMALE.value,
    "male": Sex.MALE.value,
    "m": Sex.MALE.value,
    "男": Sex.MALE.value,
    "other": Sex.OTHER.value,
}

Rule = Callable[[str], object]


def _choice(values: tuple[str, ...], what: str) -> Rule:
    allowed = {v: v for v in values}
    listed = ", ".join(values)

    def rule(text: str) -> object:
        word = text.strip().lower()
        if not word:
            return None
        if word in allowed:
            return allowed[word]
        raise ValueError(f"not a {what}; expected one of: {listed}")

    return rule


def make_date_rule(today: date) -> Rule:
    """ISO calendar date between 1900-01-01 and ``today`` (no case lies in the future)."""
    latest = today.isoformat()

    def rule(text: str) -> object:
        s = text.strip()
        if not s:
            return None
        if len(s) != 10 or s[4] != "-" or s[7] != "-":
            raise ValueError("not a date in the form YYYY-MM-DD")
        try:
            value = date.fromisoformat(s)
        except ValueError:
            raise ValueError("not a valid calendar date") from None
        if value < EARLIEST_DATE:
            raise ValueError("date before 1900-01-01")
        if s > latest:
            raise ValueError(f"date in the future (after {latest})")
        return s

    return rule


def boolean(text: str) -> object:
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value; expected true or false")


def age_years(text: str) -> object:
    s = text.strip()
    if not s:
        return None
    try:
        value = int(s)
    except ValueError:
        raise ValueError("not a whole number of years") from None
    if value < 0:
        raise ValueError("negative age")
    if value > MAX_AGE_YEARS:
        raise ValueError(f"age above {MAX_AGE_YEARS} years")
    return value


def age_band(text: str) -> object:
    s = text.strip().replace(" ", "")
    if not s:
        return None
    match = AGE_BAND_RE.match(s)
    if match is None:
        raise ValueError("not an age band such as 40-49 or 80+")
    low, high = match.groups()
    if high is not None and int(high) < int(low):
        raise ValueError("age band upper bound below its lower bound")
    if int(high or low) > MAX_AGE_YEARS:
        raise ValueError(f"age band above {MAX_AGE_YEARS} years")
    return s


def sex(text: str) -> object:
    word = text.strip().lower()
    if not word:
        return None
    if word in SEX_WORDS:
        return SEX_WORDS[word]
    raise ValueError("not a sex; expected female, male or other")


def identifier(what: str, *, required: bool, limit: int = MAX_ID_CHARS) -> Rule:
    def rule(text: str) -> object:
        s = text.strip()
        if not s:
            if required:
                raise ValueError(f"{what} is required")
            return None
        if len(s) > limit:
            raise ValueError(f"longer than {limit} characters")
        if "\ufffd" in s:
            raise ValueError("contains undecodable bytes")
        if any(ord(c) < 32 for c in s):
            raise ValueError("contains control characters")
        if s[0] in FORMULA_STARTS:
            raise ValueError(
                "starts with =, +, - or @ like a spreadsheet formula: not stored, so that "
                "no export can run it (CSV injection)"
            )
        return s

    return rule


def classification_rule(text: str) -> object:
    value = _classification(text)
    if value is None:
        raise ValueError("classification is required")
    return value


_classification = _choice(tuple(c.value for c in Classification), "classification")


#: The reason given for a region the importing user may not write (services/cases.py
#: turns it into a 403 for API submissions).
OUTSIDE_JURISDICTION = "region outside your jurisdiction"


def make_region_rule(known: frozenset[str], allowed: Callable[[str], bool] | None) -> Rule:
    """A region code that exists in the reference regions (GB/T 2260 or ISO 3166-1) and,
    when ``allowed`` is given, lies in the importing user's jurisdiction."""

    def rule(text: str) -> object:
        s = text.strip()
        if not s:
            raise ValueError("region_code is required")
        if s not in known:
            raise ValueError(
                "unknown region code (not a GB/T 2260 or ISO 3166-1 code in the reference regions)"
            )
        if allowed is not None and not allowed(s):
            raise ValueError(OUTSIDE_JURISDICTION)
        return s

    return rule


def field_rules(
    known_regions: frozenset[str], today: date, allowed: Callable[[str], bool] | None = None
) -> dict[str, tuple[Rule, bool]]:
    """Rule of every field of :data:`CASE_FIELDS`, with whether its results may be cached
    on the cell text (free-text identifiers are not: they rarely repeat)."""
    date_rule = make_date_rule(today)
    rules: dict[str, tuple[Rule, bool]] = {
        "source": (identifier("source", required=True), True),
        "case_id": (identifier("case_id", required=True), False),
        "region_code": (make_region_rule(known_regions, allowed), True),
        "classification": (classification_rule, True),
        "imported": (boolean, True),
        "origin": (identifier("origin", required=False, limit=MAX_ORIGIN_CHARS), False),
        "severity": (_choice(tuple(s.value for s in Severity), "severity"), True),
        "outcome": (_choice(tuple(o.value for o in Outcome), "outcome"), True),
        "age_years": (age_years, True),
        "age_band": (age_band, True),
        "sex": (sex, True),
        "health_worker": (boolean, True),
        "cluster_id": (identifier("cluster_id", required=False), False),
    }
    for name in DATE_FIELDS:
        rules[name] = (date_rule, True)
    assert set(rules) == set(CASE_FIELDS)
    return rules
