"""``/docs``: Swagger UI served by the service itself, so it renders with no internet.

FastAPI's default page loads Swagger UI from a CDN; here its JavaScript and CSS come from the
``swagger-ui-bundle-v2`` package (Swagger UI 5, Apache-2.0, redistributable), served under
``/docs/static``. Nothing is copied into this repository.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC = "/docs/static"


def swagger_ui_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def mount_docs(app: FastAPI) -> None:
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_folder())), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title="certrunner API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png")
