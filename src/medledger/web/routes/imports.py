"""Import a file: an 835 (ERA), an 837 (claims) or a CSV (patients, visits, charges). One screen, one upload with a progress bar,
and the import's summary; each kind says what it reads and which service imports it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request, Response
from starlette.datastructures import FormData, UploadFile

from medledger.domain.errors import InvalidInput, LedgerError
from medledger.http.dependencies import DatabaseDep
from medledger.services.claim_import import import_claims
from medledger.services.csv_import import import_csv
from medledger.services.era_import import import_era
from medledger.storage.unit_of_work import Database
from medledger.web.forms import fields
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()

#: An import's form: the file and the dry-run box, nothing else.
UploadForm = Annotated[FormData, fields("dry_run", files=("file",))]


@dataclass(frozen=True)
class ImportKind:
    """One kind of file the Import screen takes."""

    path: str
    what: str  # "835" / "837"
    title: str
    hint: str
    accept: str
    result: str  # the template of its summary
    run: Callable[..., Any]  # the service: (database, actor, stream, file_name=, dry_run=)


ERA = ImportKind(
    "/import", "835", "Import an 835 (ERA) file",
    "The whole file is checked first: one that is malformed or does not balance posts nothing. "
    "A claim that cannot be matched is held for review; the others post. Importing the same "
    "file again posts nothing twice.",
    ".835,.edi,.txt,.x12,text/plain", "_era_result.html", import_era,
)  # fmt: skip
CLAIMS = ImportKind(
    "/import/claims", "837", "Import an 837 (claims) file",
    "The practice's own claims register its patients, visits and charges. The whole file is "
    "checked first: one that is malformed, or with a claim whose lines do not add up, registers "
    "nothing. Importing the same file again registers nothing twice; a corrected or voided claim "
    "is held when money is posted against it.",
    ".837,.837i,.837p,.edi,.txt,.x12,text/plain", "_claims_result.html", import_claims,
)  # fmt: skip


CSV = ImportKind(
    "/import/csv", "CSV", "Import a CSV of patients, visits and charges",
    "Columns as docs/csv-import.md lists them, with a header row. Every row is checked first: "
    "when any is wrong nothing is registered, and each problem is listed by row and column. "
    "Importing the same file again registers nothing twice.",
    ".csv,text/csv", "_csv_result.html", import_csv,
)  # fmt: skip


def _page(request: Request, kind: ImportKind, status_code: int = 200, **values: Any) -> Response:
    return render(
        request, "import.html", status_code=status_code, kind=kind,
        **{"summary": None, "error": None, **values},
    )  # fmt: skip


def _upload(
    request: Request, database: Database, actor: WebActor, form: FormData, kind: ImportKind
) -> Response:
    """All or nothing: a file that is refused writes nothing and says why, inline."""
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(f"choose an {kind.what} file to import")
        summary = kind.run(
            database, actor, upload.file, file_name=upload.filename,
            dry_run=form.get("dry_run") == "on",
        )  # fmt: skip
    except LedgerError as error:
        return _page(request, kind, status_code=422, error=error)
    return _page(request, kind, summary=summary)


@router.get("/import")
def era_page(request: Request, actor: WebActor) -> Response:
    return _page(request, ERA)


@router.post("/import")
def era_upload(
    request: Request, database: DatabaseDep, actor: WebActor, form: UploadForm
) -> Response:
    return _upload(request, database, actor, form, ERA)


@router.get("/import/claims")
def claims_page(request: Request, actor: WebActor) -> Response:
    return _page(request, CLAIMS)


@router.post("/import/claims")
def claims_upload(
    request: Request, database: DatabaseDep, actor: WebActor, form: UploadForm
) -> Response:
    return _upload(request, database, actor, form, CLAIMS)


@router.get("/import/csv")
def csv_page(request: Request, actor: WebActor) -> Response:
    return _page(request, CSV)


@router.post("/import/csv")
def csv_upload(
    request: Request, database: DatabaseDep, actor: WebActor, form: UploadForm
) -> Response:
    return _upload(request, database, actor, form, CSV)
