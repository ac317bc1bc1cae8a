"""837 claim files in: a practice's patients, visits and charges, as it billed them."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, UploadFile

from medledger.api.deps import ActorDep, DryRun
from medledger.api.routing import api_router
from medledger.api.schemas import ClaimImportOut
from medledger.http.dependencies import DatabaseDep
from medledger.services.claim_import import import_claims

router = api_router(tags=["claim files"])


@router.post("/claim-files", response_model=ClaimImportOut, status_code=201)
def import_claim_file(
    database: DatabaseDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="An X12 837 (professional or institutional).")],
    dry_run: DryRun = False,
) -> ClaimImportOut:
    """Import an 837 whole or not at all: a malformed file, or a claim whose lines do not add up
    to CLM02, is refused (422, naming the segment) and writes nothing. The same file again
    posts nothing; a replacement or void with money posted against it is held, with why."""
    summary = import_claims(database, actor, file.file, file_name=file.filename, dry_run=dry_run)
    return ClaimImportOut.of(summary)
