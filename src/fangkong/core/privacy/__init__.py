"""Privacy of public output: small-cell suppression of frequency tables.

Public figures never show an individual record: counts from 1 to ``threshold - 1``
(default 1-4) are hidden in every breakdown by age, sex or area, and complementary
counts are hidden so that no hidden count can be recovered from the published totals
(:mod:`.suppression`), which :mod:`.audit` verifies by linear programming. The method
follows Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), ch. 4-5, and
the network formulation of Cox (1980) and Castro (2002) (:mod:`.graph`).
"""

from fangkong.core.privacy.audit import Interval, exposed_entries, feasible_intervals, unprotected
from fangkong.core.privacy.suppression import (
    DEFAULT_THRESHOLD,
    Cell,
    OneWayTable,
    SuppressionRule,
    TwoWayTable,
    one_way_graph,
    suppress_one_way,
    suppress_two_way,
    two_way_graph,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cell",
    "Interval",
    "OneWayTable",
    "SuppressionRule",
    "TwoWayTable",
    "exposed_entries",
    "feasible_intervals",
    "one_way_graph",
    "suppress_one_way",
    "suppress_two_way",
    "two_way_graph",
    "unprotected",
]
