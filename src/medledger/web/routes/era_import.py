"""Import an 835 (ERA) file: upload, with a progress bar, and the import's summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from starlette.datastructures import FormData, UploadFile

from medledger.api.deps import EngineDep
from medledger.domain.errors import InvalidInput, LedgerError
from medledger.services.era_import import import_era
from medledger.web.forms import fields
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()


@router.get("/import")
def import_page(request: Request, actor: WebActor) -> Response:
    return render(request, "era_import.html", summary=None, error=None)


@router.post("/import")
def upload(
    request: Request,
    engine: EngineDep,
    actor: WebActor,
    form: Annotated[FormData, fields("dry_run", files=("file",))],
) -> Response:
    """All or nothing: a file that is malformed or does not balance posts nothing."""
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose an 835 file to import")
        summary = import_era(
            engine, actor, upload.file, file_name=upload.filename,
            dry_run=form.get("dry_run") == "on",
        )  # fmt: skip
    except LedgerError as error:
        return render(request, "era_import.html", status_code=422, summary=None, error=error)
    return render(request, "era_import.html", summary=summary, error=None)
