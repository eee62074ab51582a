"""Bounded integer parameters shared by the routes.

Both databases store integers in 64 bits. A larger number in a path, a query or a body
would reach the driver and fail there (SQLite cannot bind it: ``OverflowError``), a 500
for bad input; so every id, offset and quantity the API accepts is bounded, and a larger
one is a 422 problem naming the parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

#: The largest signed 64-bit integer (SQLite ``INTEGER``, PostgreSQL ``bigint``).
MAX_INT = 2**63 - 1
#: A record id in a path (ids start at 1).
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
#: The ``offset`` of a paged list.
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
