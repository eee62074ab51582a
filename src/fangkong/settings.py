"""Settings: one typed object, read from ``FANGKONG_*`` environment variables and passed in.

Nothing reads the environment except :meth:`Settings.from_env`; the app factory, the
services and the CLI all receive a ``Settings`` instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "fangkong-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FANGKONG_", extra="ignore")

    #: SQLAlchemy URL. SQLite (embedded, default) or ``postgresql://…`` for production.
    database_url: str = Field(default="sqlite:///var/fangkong.db")
    #: ``development`` or ``production``; production refuses default secrets.
    environment: Literal["development", "production"] = "development"
    #: Signs session cookies and CSRF tokens.
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    #: Server processes for ``fangkong serve`` (each with its own connection pool).
    workers: int = Field(default=1, ge=1, le=64)
    #: Where reject files and uploaded imports are kept.
    var_dir: Path = Path("var")
    #: Rows per committed import batch (a crash loses at most the batch in flight).
    import_batch_rows: int = 50_000
    #: Source names in order of preference when a region has figures from several.
    source_priority: tuple[str, ...] = ("fangkong", "nhc", "ccdc", "canghailan", "who", "jhu")
    #: Public breakdowns of cases hide counts from 1 to ``suppress_below - 1`` (and the
    #: counts needed to protect them); requests may only raise it. See core/privacy.
    suppress_below: int = Field(default=5, ge=1)
    #: Directory where each server process logs its response times (benchmarks; see
    #: :mod:`fangkong.api.timing`). ``None``: only the ``Server-Timing`` header.
    timing_log: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls()

    def check_production(self) -> None:
        """Refuse to run in production with development defaults."""
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise RuntimeError("FANGKONG_SECRET_KEY must be set in production")
