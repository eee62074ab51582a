"""Bounded integer parameters shared by the routes.

Record ids (and the counts the API stores) are ``INTEGER`` columns: 32 bits in
PostgreSQL, 64 in SQLite. A larger number in a path, a query or a body would reach the
driver and fail there — PostgreSQL refuses to cast it (``integer out of range``),
SQLite cannot bind past 64 bits (``OverflowError``) — a 500 for bad input. So every id,
offset and stored quantity the API accepts is bounded by :data:`MAX_INT`, and a larger
one is a 422 problem naming the parameter.

Dates likewise: a day near year 1 or 9999 makes the date arithmetic of a service leave
Python's calendar (``OverflowError``), so the days an analysis starts from are bounded by
:data:`EARLIEST_DAY` and :data:`LATEST_DAY` (:data:`Day`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

#: The largest value of an ``INTEGER`` column in both databases (PostgreSQL ``integer``).
MAX_INT = 2**31 - 1
#: A record id in a path (ids start at 1).
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
#: The ``offset`` of a paged list.
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
#: The range of days a query may name (anything outside is a typing error).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
#: An optional day in a query, within that range.
Day = Annotated[date | None, Query(ge=EARLIEST_DAY, le=LATEST_DAY)]
