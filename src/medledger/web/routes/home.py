"""The work list (home screen) and the patient search."""

from __future__ import annotations

from fastapi import Request, Response

from medledger.http.dependencies import DatabaseDep
from medledger.services.accounts import search_patients
from medledger.services.work_list import work_list
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()


@router.get("/")
def home(request: Request, database: DatabaseDep, actor: WebActor) -> Response:
    return render(request, "home.html", work=work_list(database, actor))


@router.get("/patients")
def search(request: Request, database: DatabaseDep, actor: WebActor, q: str = "") -> Response:
    found = search_patients(database, actor, q.strip()[:100], limit=100)
    return render(request, "patients/search.html", found=found, q=q)
