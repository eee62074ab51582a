"""Database set-up: migrate to the latest schema and load reference data."""

from __future__ import annotations

from typing import Any

from fangkong.services.reference import load_reference_data
from fangkong.services.supplies import load_catalogue
from fangkong.settings import Settings
from fangkong.store.db import make_engine
from fangkong.store.migrate import current_revision, upgrade


def upgrade_database(settings: Settings) -> dict[str, Any]:
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        counts = load_reference_data(engine)
        load_catalogue(engine)
        return {"revision": current_revision(engine), **counts}
    finally:
        engine.dispose()
