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
#: Shortest secret accepted in production (32 characters of ``secrets.token_urlsafe``
#: carry 192 bits).
MIN_SECRET_LENGTH = 32


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
    #: Threads per server process running the blocking work of requests (database
    #: queries, page builds); more contend for the GIL (see ``fangkong.api.threads``).
    threads: int = Field(default=8, ge=1, le=256)
    #: Addresses of the reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` ``fangkong serve`` trusts (uvicorn ``forwarded_allow_ips``;
    #: comma-separated, ``*`` for any: only when nothing else can reach the port).
    forwarded_allow_ips: str = "127.0.0.1"
    #: Where reject files and uploaded imports are kept.
    var_dir: Path = Path("var")
    #: Rows per committed import batch (a crash loses at most the batch in flight).
    import_batch_rows: int = 50_000
    #: Source names in order of preference when a region has figures from several.
    source_priority: tuple[str, ...] = ("fangkong", "nhc", "ccdc", "canghailan", "who", "jhu")
    #: Public breakdowns of cases hide counts from 1 to ``suppress_below - 1`` (and the
    #: counts needed to protect them); requests may only raise it. See core/privacy.
    suppress_below: int = Field(default=5, ge=1)
    #: A web session ends this long after login, however active (OWASP Session
    #: Management Cheat Sheet, "Absolute Timeout").
    session_max_seconds: int = Field(default=8 * 3600, ge=60)
    #: ... and this long after its last request ("Idle Timeout").
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    #: Seconds a verified API token is accepted without asking the database again: the
    #: longest a revocation or a disabled account made by another server process or the
    #: CLI goes unnoticed (the process that made it notices at once). 0: always ask.
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    #: ``Secure`` flag on the session cookies; unset means "in production only".
    cookie_secure: bool | None = None
    #: Failed logins allowed per (username, client address) in ``login_window_seconds``.
    login_max_failures: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    #: ``Strict-Transport-Security: max-age`` sent over HTTPS and in production.
    hsts_max_age: int = Field(default=365 * 24 * 3600, ge=0)
    #: Directory where each server process logs its response times (benchmarks; see
    #: :mod:`fangkong.api.timing`). ``None``: only the ``Server-Timing`` header.
    timing_log: Path | None = None
    #: Seconds between publications of new data versions to public readers; each is
    #: prepared in the background first (see :mod:`fangkong.api.warming`). ``0``: no
    #: publisher, every answer is computed for the latest version on demand.
    publish_interval: float = Field(default=10.0, ge=0)

    @classmethod
    def from_env(cls) -> Settings:
        return cls()

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure`` (always in production unless overridden)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment == "production"

    def check_production(self) -> None:
        """Refuse to run in production with development defaults: the shipped secret
        (anyone could forge session cookies with it), a secret too short to resist
        guessing, or cookies without ``Secure``."""
        if self.environment != "production":
            return
        if self.secret_key == DEV_SECRET or self.secret_key.strip() == "":
            raise RuntimeError(
                "FANGKONG_SECRET_KEY must be set in production (the default secret is public)"
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                f"FANGKONG_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.cookie_secure is False:
            raise RuntimeError("FANGKONG_COOKIE_SECURE=false is not allowed in production")
