"""The kept OpenAPI and AsyncAPI documents are what the code generates, and the OpenAPI
document describes every route the application registers."""

from pathlib import Path

from fragrance_ai.config_loader import load_settings
from fragrance_ai.http.app import init_app
from fragrance_ai.http.openapi import openapi_document
from fragrance_ai.http.routes import ROUTES
from fragrance_ai.programs.documents import stale_documents

ROOT = Path(__file__).resolve().parents[2]


def test_the_kept_documents_are_what_the_code_generates() -> None:
    assert stale_documents(ROOT) == [], "run `make api-documents` and commit docs/"


def test_every_registered_route_is_documented_and_every_documented_one_registered() -> None:
    app = init_app(load_settings("testing"))
    registered = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }
    documented = {
        (method, path)
        for path, operations in openapi_document(ROUTES)["paths"].items()
        for method in operations
    }
    assert registered == documented


def test_keyed_routes_name_the_security_schemes_and_their_401() -> None:
    document = openapi_document(ROUTES)
    open_paths = {"/health", "/ready", "/openapi.json", "/docs", "/", "/studio/studio.js"}
    open_paths.add("/studio/studio.css")
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path in open_paths:
                assert operation["security"] == [] and "401" not in operation["responses"]
            else:
                assert {"bearerAuth": []} in operation["security"]
                assert "401" in operation["responses"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
