"""The posting tool (seed 000): a remittance's Payment Items Table, Write Off PR from an item's
Actions menu into a yellow preview row, editing the preview in place, undo, and Post.

Every answer about one item is that item's rows (its ``<tbody>``) and the toolbar with the count
of previews to post, so the rest of the table stays as the person left it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.http.dependencies import DatabaseDep, PathId, QueryId
from medledger.services import drafts
from medledger.services.posting_tool import (
    PostingItem,
    PostingTool,
    post_previews,
    posting_tool,
)
from medledger.services.work_list import remittances_to_post
from medledger.web.dialogs import action_done, show_dialog
from medledger.web.forms import CARC_FIELD, carc_amounts, errors_of, fields, optional, text
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
#: The item dialog's Write Off PR, and a preview cell's edit (``field`` names the cell).
PreviewForm = Annotated[
    FormData, fields("reason", "custom_reason", "note", "field", prefixes=(CARC_FIELD,))
]

#: A preview row's editable cells: a PR figure's write-off amounts, or the note.
Editable = Annotated[str | None, Query(pattern="^(deductible|coinsurance|copay|other_pr|note)$")]


@router.get("/remittances")
def remittances(request: Request, database: DatabaseDep, actor: WebActor) -> Response:
    return render(
        request, "posting/list.html", remittances=remittances_to_post(database, actor, 200)
    )


@router.get("/remittances/{remittance_id}")
def payment_items(
    request: Request, database: DatabaseDep, actor: WebActor, remittance_id: PathId
) -> Response:
    tool = posting_tool(database, actor, remittance_id)
    return render(request, "posting/tool.html", tool=tool, refused={})


@router.get("/remittances/{remittance_id}/items/{item_id}")
def item_rows(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    remittance_id: PathId,
    item_id: PathId,
    edit: Editable = None,
    draft: QueryId = None,
) -> Response:
    """An item's rows; with ``edit`` and ``draft``, that cell of the preview row as a field."""
    tool = posting_tool(database, actor, remittance_id)
    return _item(request, tool, tool.item(item_id), editing=(draft, edit) if edit else None)


@router.get("/remittances/{remittance_id}/items/{item_id}/write-off")
def write_off_dialog(
    request: Request, database: DatabaseDep, actor: WebActor, remittance_id: PathId, item_id: PathId
) -> Response:
    tool = posting_tool(database, actor, remittance_id)
    return show_dialog(request, "dialogs/item_write_off.html", tool=tool, item=tool.item(item_id))


@router.post("/remittances/{remittance_id}/items/{item_id}/write-off")
def add_preview(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    remittance_id: PathId,
    item_id: PathId,
    form: PreviewForm,
) -> Response:
    """The dialog's Write Off PR: a draft, shown as the yellow preview row under the item (an
    item of another remittance is "not found", before anything is written)."""
    posting_tool(database, actor, remittance_id).item(item_id)
    try:
        drafts.create_draft(database, actor, amounts=carc_amounts(form), reason=text(form, "reason"),
            payment_item_id=item_id, custom_reason=optional(form, "custom_reason"),
            note=optional(form, "note"),
        )  # fmt: skip
    except LedgerError as error:
        tool = posting_tool(database, actor, remittance_id)
        return show_dialog(
            request, "dialogs/item_write_off.html", form, errors_of(error, carc_fields=True),
            tool=tool, item=tool.item(item_id),
        )  # fmt: skip
    tool = posting_tool(database, actor, remittance_id)
    return action_done(
        request, "posting/_item_changed.html", "Preview added: check it, then Post.", tool=tool,
        item=tool.item(item_id), editing=None, refused={},
    )  # fmt: skip


@router.post("/remittances/{remittance_id}/drafts/{draft_id}")
def edit_preview(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    remittance_id: PathId,
    draft_id: PathId,
    form: PreviewForm,
) -> Response:
    """A value cell or the note of the preview row, edited in place: the cell's form sends the
    draft's amounts for every CARC (``carc-*``) or its ``note``. Refused, the cell stays a field
    with what was typed and the reason beside it."""
    field = text(form, "field")
    change = {"note": text(form, "note")} if field == "note" else {"amounts": carc_amounts(form)}
    item_id = posting_tool(database, actor, remittance_id).item_of_draft(draft_id).id
    try:
        drafts.update_draft(database, actor, draft_id, **change)
    except LedgerError as error:
        tool = posting_tool(database, actor, remittance_id)
        return _item(
            request, tool, tool.item(item_id), editing=(draft_id, field), status_code=422,
            cell_error=error.message, typed=form,
        )  # fmt: skip
    tool = posting_tool(database, actor, remittance_id)
    return _item(request, tool, tool.item(item_id), focus=(draft_id, field))


@router.post("/remittances/{remittance_id}/drafts/{draft_id}/undo")
def undo_preview(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    remittance_id: PathId,
    draft_id: PathId,
) -> Response:
    """The undo button of the preview row: the draft is discarded; nothing reached the ledger."""
    item_id = posting_tool(database, actor, remittance_id).item_of_draft(draft_id).id
    drafts.discard_draft(database, actor, draft_id)
    tool = posting_tool(database, actor, remittance_id)
    return _item(request, tool, tool.item(item_id))


@router.post("/remittances/{remittance_id}/post")
def post(
    request: Request, database: DatabaseDep, actor: WebActor, remittance_id: PathId
) -> Response:
    """Post every preview of the remittance; a refused one stays, its reason in its row."""
    outcome = post_previews(database, actor, remittance_id)
    posted, waiting, refused = len(outcome.posted), len(outcome.waiting), len(outcome.refused)
    message = (
        f"Posted {posted} write-off{'s' if posted != 1 else ''}."
        + (f" {waiting} above your limit sent for approval." if waiting else "")
        + (f" {refused} could not be posted: see the yellow rows." if refused else "")
    )
    return render(
        request, "posting/_posted.html", tool=posting_tool(database, actor, remittance_id),
        refused={draft_id: error.message for draft_id, error in outcome.refused.items()},
        message=message,
    )  # fmt: skip


def _item(
    request: Request, tool: PostingTool, item: PostingItem, status_code: int = 200, **context: Any
) -> Response:
    """An item's rows as the answer (and the toolbar out of band)."""
    shown = {"editing": None, "focus": None, "cell_error": None, "typed": None, **context}
    return render(
        request, "posting/_item_changed.html", status_code=status_code, tool=tool, item=item,
        main=True, refused={}, **shown,
    )  # fmt: skip
