"""835 files in, and the claims they could not post: the review queue's list, the encounters a
held claim could go to, and the biller's two ways out (post it, or dismiss it with a reason)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Query, Response, UploadFile

from medledger.api.deps import ActorDep, DryRun, QueryText, answering
from medledger.api.routing import api_router
from medledger.api.schemas import (
    DismissIn,
    EffectOut,
    EncounterChoiceOut,
    HeldClaimOut,
    HeldClaimPostIn,
    ImportSummaryOut,
    TransactionOut,
)
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import history
from medledger.services.era_import import import_era
from medledger.services.review_queue import (
    dismiss_held_claim,
    encounter_choices,
    held_claim,
    held_claims,
    resolve_held_claim,
)

router = api_router(tags=["remittance files"])


@router.post("/era-imports", response_model=ImportSummaryOut, status_code=201)
def import_file(
    database: DatabaseDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="An X12 835 (5010) file.")],
    dry_run: DryRun = False,
) -> ImportSummaryOut:
    """Import an 835 whole or not at all: a malformed or unreconciled file is refused (422,
    with the segment and the difference) and posts nothing; claims that cannot post are held."""
    summary = import_era(database, actor, file.file, file_name=file.filename, dry_run=dry_run)
    return ImportSummaryOut.of(summary)


@router.get("/held-claims", response_model=list[HeldClaimOut])
def list_held_claims(
    database: DatabaseDep,
    actor: ActorDep,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[HeldClaimOut]:
    """Newest first; only the open ones unless ``include_resolved``."""
    items = held_claims(database, actor, include_resolved=include_resolved, limit=limit)
    return [HeldClaimOut.of(item) for item in items]


@router.get("/held-claims/{item_id}", response_model=HeldClaimOut)
def get_held_claim(database: DatabaseDep, actor: ActorDep, item_id: PathId) -> HeldClaimOut:
    return HeldClaimOut.of(held_claim(database, actor, item_id))


@router.get("/held-claims/{item_id}/encounters", response_model=list[EncounterChoiceOut])
def held_claim_encounters(
    database: DatabaseDep, actor: ActorDep, item_id: PathId, search: QueryText = None
) -> list[EncounterChoiceOut]:
    """The encounter the claim's control number names, then those of patients matching
    ``search`` (name or MRN)."""
    choices = encounter_choices(database, actor, item_id, search or "")
    return [EncounterChoiceOut.of(choice) for choice in choices]


@router.post(
    "/held-claims/{item_id}/post", response_model=TransactionOut | EffectOut, status_code=201
)
def post_held_claim(
    database: DatabaseDep,
    actor: ActorDep,
    item_id: PathId,
    body: HeldClaimPostIn,
    response: Response,
    dry_run: DryRun = False,
) -> TransactionOut | EffectOut:
    """Post the claim to the encounter, through the import's own checks (409 once resolved);
    a dry run answers with the effect."""
    with answering(dry_run, response) as effect:
        transaction_id = resolve_held_claim(
            database, actor, item_id, body.encounter_id, body.procedure_ids
        )
    if effect is not None:
        return EffectOut.of(effect)
    return TransactionOut.of(history.transaction(database, actor, transaction_id))


@router.post("/held-claims/{item_id}/dismiss", response_model=HeldClaimOut)
def dismiss(
    database: DatabaseDep,
    actor: ActorDep,
    item_id: PathId,
    body: DismissIn,
    response: Response,
    dry_run: DryRun = False,
) -> HeldClaimOut:
    with answering(dry_run, response):
        dismissed = dismiss_held_claim(database, actor, item_id, body.reason)
    return HeldClaimOut.of(dismissed)
