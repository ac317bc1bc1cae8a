"""API routes whose plain ``def`` endpoints cost one thread hop per request, or none.

FastAPI runs a plain ``def`` endpoint in the thread pool (it blocks on the database), and then,
because the endpoint was not a coroutine, validates the returned model in the thread pool *again*
before serialising it. ``ApiRoute`` hands FastAPI a coroutine that runs the endpoint in the
thread pool once, so the answer's validation and JSON (pydantic-core, microseconds for a model
the endpoint built itself) run on the event loop. Measured on a patient read: one hop fewer is
≈ 0.1–0.2 ms of CPU and a GIL hand-over less per request (docs/benchmarks/api-load.md).

An endpoint marked ``@on_event_loop`` makes no hop at all: it runs on the event loop itself.
That is for bounded reads only — one row, or one patient's account, by primary key: a few
indexed queries whose database time is a fraction of the hop's own cost (the pool's limiter,
the worker thread's wake-up, the result handed back to the loop, and the GIL passed between
two threads each way, ≈ 15% of a balance read's CPU; docs/benchmarks/api-load.md).
While it runs the loop serves nobody else, which costs nothing a thread would have given back:
the GIL lets one thread run Python at a time either way, and such a read waits on the database
for well under a millisecond. Anything that writes, waits on a lock, or scans a range stays in
the pool, where a slow one cannot hold up every other request of its worker.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_ON_EVENT_LOOP = "__medledger_on_event_loop__"


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, as_coroutine(endpoint), **kwargs)


def on_event_loop(endpoint: Endpoint) -> Endpoint:
    """Mark a bounded read (see above) to run on the event loop rather than in the pool."""
    setattr(endpoint, _ON_EVENT_LOOP, True)
    return endpoint


def as_coroutine(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A coroutine running a blocking endpoint in the thread pool, or — marked
    ``@on_event_loop`` — on the loop; a coroutine as it is.

    ``functools.wraps`` keeps the name and ``__wrapped__``, from which FastAPI reads the
    parameters and resolves their annotations in the endpoint's own module.
    """
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    if getattr(endpoint, _ON_EVENT_LOOP, False):

        @functools.wraps(endpoint)
        async def on_loop(*args: Any, **kwargs: Any) -> Any:
            return endpoint(*args, **kwargs)

        return on_loop

    @functools.wraps(endpoint)
    async def threaded(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return threaded


def api_router(**kwargs: Any) -> APIRouter:
    """A router of the JSON API (its routes are ``ApiRoute``)."""
    return APIRouter(route_class=ApiRoute, **kwargs)
