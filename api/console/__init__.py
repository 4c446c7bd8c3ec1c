"""The web console: server-rendered pages over the same query functions as the JSON routes,
with small scripts for charts and verification in the browser (built from npm packages)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
BUNDLE_DIR = STATIC_DIR / "dist"  # written by `make setup` (esbuild over node_modules)
PREFIX = "/console"


def mount(app: FastAPI) -> None:
    """Add the console's pages under /console and its static files under /console/static."""
    from api.console.operator import router as operator_router
    from api.console.participant import router as participant_router
    from api.console.passport import router as passport_router
    from api.console.review import router as review_router
    from api.console.routes import router

    app.include_router(router)
    app.include_router(participant_router)
    app.include_router(operator_router)
    app.include_router(review_router)
    app.include_router(passport_router)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=STATIC_DIR, check_dir=False),
        name="console-static",
    )
