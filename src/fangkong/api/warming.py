"""The publisher: the most viewed public answers of a new data version are computed in
the background, then that version is published.

Why. Every stored figure changes the data version (:func:`fangkong.services.public.
data_version`); during an outbreak reports arrive all day, so without this every
change would drop every cached answer, and the next viewers of the national overview
(about 300 ms of work on a national dataset), the world page or a province would wait
for it to be computed again. Instead, public readers keep getting the answers of the
published version while the publisher computes the new version's answers; then it
publishes the new version (:meth:`fangkong.services.public.PublicCache.publish`).
This is "stale while revalidate" (RFC 5861 §3) applied to the whole public view at
once, so the pages stay mutually consistent.

Freshness. A new figure reaches public readers within ``publish_interval`` seconds
(``FANGKONG_PUBLISH_INTERVAL``, default 10) plus the time to compute the answers
(about 2 s of work per server process on the national dataset of ``bench/``, spread
over twice that: after each answer the publisher rests as long, so that readers'
requests are never queued behind a burst of computations) plus the data version's
time-to-live (1 s). Signed-in users always see the latest version
(:func:`fangkong.api.caching.wants_fresh`). ``publish_interval = 0`` turns the
publisher off: every answer is then computed for the latest version on demand.

What is computed: the pages and the API calls their scripts make, exactly as a
browser would request them (the addresses are read from the rendered pages, so they
cannot drift from the templates): the overview in Chinese and English with its map
layers, the world page, the open-data overview and world tables, every province's
page with its R_t, forecast, risk and response calls, and one prefecture's and one
county's (which compute the risk zoning's source choice for all units of their level).
The requests go through the whole application in-process (no socket), marked so
that they are computed for the latest version and not served from the response cache
(:data:`fangkong.api.caching.WARM_SCOPE_KEY`); they are not logged as response times.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from starlette.concurrency import run_in_threadpool

from fangkong.api.caching import WARM_SCOPE_KEY
from fangkong.services.public import PublicCache

log = logging.getLogger("fangkong.warming")

#: Seconds between checks of the data version.
POLL_SECONDS = 1.0
#: Pages and tables that do not depend on a region.
FIXED_PATHS = (
    "/zh/",
    "/en/",
    "/zh/world",
    "/en/world",
    "/api/v1/opendata/overview.json",
    "/api/v1/opendata/world.json",
)
_DATA_URL = re.compile(r'data-(?:risk-|response-)?url="([^"]+)"')
_REGION_LINK = re.compile(r'href="/zh/region/([0-9A-Za-z-]+)"')
_BADGES = re.compile(r'id="status-badges"[^>]*?data-date="([0-9-]*)"[^>]*?data-at="([^"]*)"')


async def internal_get(app: Any, path: str) -> tuple[int, bytes]:
    """``GET path`` through the whole ASGI application, in-process, as the publisher."""
    raw_path, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/html,application/json")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        WARM_SCOPE_KEY: True,
    }
    status = [0]
    chunks: list[bytes] = []
    done = asyncio.Event()
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return status[0], b"".join(chunks)


def page_calls(code: str, body: str) -> list[str]:
    """The API calls the scripts of region ``code``'s page make (region.js)."""
    calls = [html.unescape(u) for u in _DATA_URL.findall(body)]
    badges = _BADGES.search(body)
    if badges:
        day, at = badges.group(1), html.unescape(badges.group(2))
        if day:
            calls.append(f"/api/v1/risk/regions/{code}/history?until={day}")
        at_query = f"?at={quote(at, safe='')}" if at else ""
        calls.append(f"/api/v1/response/regions/{code}{at_query}")
    return calls


class Publisher:
    """Computes the most viewed answers of a new data version, then publishes it."""

    def __init__(self, app: Any, cache: PublicCache, interval: float) -> None:
        self.app = app
        self.cache = cache
        self.interval = interval
        self.published_at = float("-inf")
        #: Paths requested and failures of the last run (for tests and the log).
        self.last_paths: list[str] = []
        self.last_failures: list[tuple[str, int]] = []

    async def _get(self, path: str) -> str:
        began = time.monotonic()
        status, body = await internal_get(self.app, path)
        # As long again at rest: the publisher takes at most half of its process's time,
        # so readers' requests are not queued behind a burst of computations.
        await asyncio.sleep(time.monotonic() - began)
        self.last_paths.append(path)
        if status != 200:
            self.last_failures.append((path, status))
        return body.decode("utf-8", "replace")

    async def _region(self, code: str) -> str:
        body = await self._get(f"/zh/region/{code}")
        await self._get(f"/en/region/{code}")
        for call in page_calls(code, body):
            await self._get(call)
        return body

    async def warm(self) -> None:
        """Request every most viewed answer once (computed for the latest version)."""
        self.last_paths, self.last_failures = [], []
        overview = ""
        for path in FIXED_PATHS:
            body = await self._get(path)
            if path == "/zh/":
                overview = body
        for call in dict.fromkeys(html.unescape(u) for u in _DATA_URL.findall(overview)):
            await self._get(call)
        provinces = list(dict.fromkeys(_REGION_LINK.findall(overview)))
        below: list[str] = []
        for code in provinces:
            body = await self._region(code)
            if not below:
                below = [c for c in _REGION_LINK.findall(body) if c not in provinces][:1]
        if below:  # one prefecture, then one of its counties: each level's risk sources
            body = await self._region(below[0])
            county = [c for c in _REGION_LINK.findall(body) if c != below[0]][:1]
            if county:
                await self._region(county[0])

    async def step(self) -> bool:
        """Publish the latest version if it is new and the interval has passed since
        the last publication; whether it did."""
        latest = await run_in_threadpool(self.cache.version)
        if latest == self.cache.published:
            return False
        if time.monotonic() - self.published_at < self.interval:
            return False
        started = time.monotonic()
        await self.warm()
        self.cache.publish(latest)
        self.published_at = time.monotonic()
        log.info(
            "published data version %s: %d answers computed in %.2f s%s",
            latest,
            len(self.last_paths),
            self.published_at - started,
            f", failed: {self.last_failures}" if self.last_failures else "",
        )
        return True

    async def run(self) -> None:
        """Check for new versions forever (cancelled at shutdown)."""
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed run must not stop publishing for good
                log.exception("publishing the latest data version failed")
            await asyncio.sleep(POLL_SECONDS)
