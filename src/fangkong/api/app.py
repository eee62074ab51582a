"""The application factory. No import-time globals: everything hangs off ``app.state``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from fangkong import __version__
from fangkong.api.audit import AuditMiddleware
from fangkong.api.auth import install_auth
from fangkong.api.caching import install_response_cache
from fangkong.api.problems import install_problem_handlers
from fangkong.api.routes import allocation as allocation_routes
from fangkong.api.routes import audit as audit_routes
from fangkong.api.routes import breakdowns as breakdown_routes
from fangkong.api.routes import bulletins as bulletin_routes
from fangkong.api.routes import bulletins_publish as bulletin_publish_routes
from fangkong.api.routes import cases as case_routes
from fangkong.api.routes import daily as daily_routes
from fangkong.api.routes import delays as delay_routes
from fangkong.api.routes import directives as directive_routes
from fangkong.api.routes import forecast as forecast_routes
from fangkong.api.routes import health, regions
from fangkong.api.routes import hospitals as hospital_routes
from fangkong.api.routes import imports as import_routes
from fangkong.api.routes import opendata as opendata_routes
from fangkong.api.routes import response as response_routes
from fangkong.api.routes import risk as risk_routes
from fangkong.api.routes import rt as rt_routes
from fangkong.api.routes import scenarios as scenario_routes
from fangkong.api.routes import session as session_routes
from fangkong.api.routes import supplies as supply_routes
from fangkong.api.routes import timeliness as timeliness_routes
from fangkong.api.routes import users as user_routes
from fangkong.api.routes import warnings as warning_routes
from fangkong.api.security_headers import install_security_headers
from fangkong.api.threads import configure_threads
from fangkong.api.timing import install_server_timing
from fangkong.api.warming import Publisher
from fangkong.settings import Settings
from fangkong.store.db import make_engine
from fangkong.web.pages import install_pages


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the ASGI app for ``settings``. Pass ``engine`` to share one (tests)."""
    settings.check_production()
    owns_engine = engine is None
    the_engine = engine if engine is not None else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_threads(app, settings)
        task = None
        if settings.publish_interval > 0:
            publisher = Publisher(app, app.state.public_cache, settings.publish_interval)
            app.state.publisher = publisher
            task = asyncio.create_task(publisher.run())
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if owns_engine:
            the_engine.dispose()

    app = FastAPI(
        title="Fangkong API",
        version=__version__,
        description="Epidemic prevention-and-control command platform (防控).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = the_engine
    install_problem_handlers(app)
    install_auth(app, settings)
    install_security_headers(app, settings)
    app.add_middleware(AuditMiddleware)

    static_dir = resources.files("fangkong.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(health.router)
    app.include_router(regions.router)
    app.include_router(breakdown_routes.router)
    app.include_router(session_routes.router)
    app.include_router(user_routes.router)
    app.include_router(daily_routes.router)
    app.include_router(case_routes.router)
    app.include_router(bulletin_routes.router)
    app.include_router(bulletin_publish_routes.router)
    app.include_router(import_routes.router)
    app.include_router(delay_routes.router)
    app.include_router(rt_routes.router)
    app.include_router(forecast_routes.router)
    app.include_router(scenario_routes.router)
    app.include_router(opendata_routes.router)
    app.include_router(response_routes.router)
    app.include_router(risk_routes.router)
    app.include_router(warning_routes.router)
    app.include_router(directive_routes.router)
    app.include_router(timeliness_routes.router)
    app.include_router(hospital_routes.router)
    app.include_router(hospital_routes.teams_router)
    app.include_router(supply_routes.router)
    app.include_router(supply_routes.donations_router)
    app.include_router(allocation_routes.router)
    app.include_router(allocation_routes.shipments_router)
    app.include_router(audit_routes.router)
    install_pages(app)
    install_response_cache(app)
    install_server_timing(app, settings)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-process serving: settings from the
    environment, read when each worker process starts."""
    return freeze_startup_objects(create_app(Settings.from_env()))


def freeze_startup_objects(app: FastAPI) -> FastAPI:
    """Move the objects made by imports and app creation (about 200,000, alive for the
    whole process) out of the cyclic garbage collector's reach (:func:`gc.freeze`), so
    that a full collection no longer pauses the server for 50-100 ms scanning them."""
    gc.collect()
    gc.freeze()
    return app
