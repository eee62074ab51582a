"""Request-scoped dependencies: settings and engine come from ``app.state``."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine

from fangkong.settings import Settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
