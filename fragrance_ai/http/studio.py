"""The formulation studio at `/`: three static files, served as they are.

No build step and no third-party code: the page is plain HTML, CSS and JavaScript, its
charts hand-drawn SVG. The files are public (they hold no data); every request the page
makes for data carries the API key the user pasted, like any other client.
"""

from pathlib import Path

from aiohttp import web

from fragrance_ai.http.auth import public

STATIC_DIR = Path(__file__).with_name("static")
ASSETS = {"studio.js": "text/javascript", "studio.css": "text/css"}
# Only this origin's files and API; no inline script, no plugin, not framed elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _file(name: str, content_type: str) -> web.FileResponse:
    # Revalidated on every load (Last-Modified): a new release shows at once.
    headers = {"Content-Type": content_type, "Cache-Control": "no-cache", **SECURITY_HEADERS}
    return web.FileResponse(STATIC_DIR / name, headers=headers)


@public
async def studio_page(request: web.Request) -> web.FileResponse:
    return _file("index.html", "text/html; charset=utf-8")


@public
async def studio_asset(request: web.Request) -> web.FileResponse:
    # Registered once per file (fragrance_ai.http.routes): the path names one of ASSETS.
    name = request.path.rsplit("/", 1)[-1]
    return _file(name, ASSETS[name])
