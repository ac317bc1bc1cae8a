"""Where an API endpoint runs: a plain ``def`` in the thread pool, once; a bounded read marked
``@on_event_loop`` on the event loop, with no hop at all."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medledger.api.routing import api_router, on_event_loop


def _app() -> FastAPI:
    router = api_router()

    @router.get("/loop")
    async def loop() -> dict[str, int]:
        return {"thread": threading.get_ident()}

    @router.get("/pool")
    def pool() -> dict[str, int]:
        return {"thread": threading.get_ident()}

    @router.get("/marked/{item_id}")
    @on_event_loop
    def marked(item_id: int) -> dict[str, int]:
        return {"thread": threading.get_ident(), "item": item_id}

    app = FastAPI()
    app.include_router(router)
    return app


def test_a_marked_read_runs_on_the_event_loop_and_a_plain_def_in_the_pool() -> None:
    with TestClient(_app()) as client:
        loop_thread = client.get("/loop").json()["thread"]
        marked = client.get("/marked/7").json()
        pooled = client.get("/pool").json()["thread"]
    assert marked == {"thread": loop_thread, "item": 7}
    assert pooled != loop_thread


def test_a_marked_endpoint_keeps_its_parameters_in_the_openapi_document() -> None:
    operation = _app().openapi()["paths"]["/marked/{item_id}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["item_id"]
    assert operation["operationId"].startswith("marked")
