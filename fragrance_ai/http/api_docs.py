"""`/openapi.json` and `/docs`: the API's own description, open to every caller.

The docs page is one static file that reads `/openapi.json`; it loads nothing from
elsewhere, so it works where the API has no way out to the internet.
"""

from importlib.resources import files

from aiohttp import web

from fragrance_ai.http.auth import public
from fragrance_ai.http.keys import OPENAPI

DOCS_PAGE = files("fragrance_ai.http").joinpath("static/docs.html").read_bytes()


@public
async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


@public
async def docs_page(request: web.Request) -> web.Response:
    return web.Response(body=DOCS_PAGE, content_type="text/html", charset="utf-8")
