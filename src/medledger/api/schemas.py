"""Request and response shapes (``XIn`` / ``XOut``); amounts are decimal strings both ways."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from medledger.api.deps import BodyId
from medledger.api.money import AmountIn, AmountOut
from medledger.domain.adjudication import Adjustment
from medledger.domain.balance import Balance, Entry
from medledger.domain.money import format_cents, to_cents
from medledger.domain.permission import Permission
from medledger.domain.preview import FIGURES, FigureChange, Preview, figures
from medledger.domain.reasons import CancelReason, ReversalReason, WriteOffReason
from medledger.domain.registration import CoverageOrder, PatientDetails, Sex
from medledger.domain.transaction import TransactionKind, field_descriptions
from medledger.http.dependencies import QueryDay, day_in_range
from medledger.services.accounts import (
    EncounterAccount,
    PatientAccount,
    PatientSummary,
    ProcedureAccount,
)
from medledger.services.approval_requests import ApprovalView
from medledger.services.claim_import import ClaimImportSummary
from medledger.services.csv_import import CsvImportSummary
from medledger.services.drafts import DraftView
from medledger.services.era_import import ImportSummary
from medledger.services.history import TransactionView
from medledger.services.ledger_requests import LedgerRequest
from medledger.services.payments import PaymentMethod, PaymentView
from medledger.services.posting import DryRunEffect
from medledger.services.registration import (
    CoverageInput,
    CoverageKey,
    PatientRecord,
    ProcedureInput,
    VisitDetails,
)
from medledger.services.remittance_views import ItemView, RemittanceSummary, RemittanceView
from medledger.services.reports import (
    AGING_BUCKETS,
    AdjustmentLine,
    AgingReport,
    CollectionLine,
    PayerLine,
)
from medledger.services.review_queue import EncounterChoice, HeldClaim


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """A request body: unknown fields refused, and no text may carry a NUL character (no
    database stores one, and no person types one)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


# -- balances and permissions -------------------------------------------------------------------
class BalanceOut(Out):
    """Every figure of a procedure, encounter or patient (encounter = sum of its procedures)."""

    charge: AmountOut
    payer_paid: AmountOut
    contractual: AmountOut
    payer_other: AmountOut
    deductible: AmountOut
    coinsurance: AmountOut
    copay: AmountOut
    other_pr: AmountOut
    other_adjustments: AmountOut
    patient_paid: AmountOut
    patient_balance: AmountOut
    insurance_balance: AmountOut
    cancelled: AmountOut
    refunded: AmountOut
    credit: AmountOut

    @classmethod
    def of(cls, balance: Balance) -> BalanceOut:
        return cls.model_validate(_balance_data(balance))


def _balance_data(balance: Balance) -> dict[str, Any]:
    data: dict[str, Any] = figures(balance)
    data["insurance_balance"] = balance.insurance_balance
    data["cancelled"] = balance.cancelled
    data["refunded"] = balance.refunded
    data["credit"] = balance.credit
    return data


class ReasonOut(Out):
    type: str
    detail: str


class PermissionOut(Out):
    """allowed, with the open amounts per PR CARC — or the reason it is not (the tooltip)."""

    allowed: bool
    open_by_carc: dict[str, AmountOut]
    reason: ReasonOut | None

    @classmethod
    def of(cls, permission: Permission) -> PermissionOut:
        return cls.model_validate(_permission_data(permission))


def _permission_data(permission: Permission) -> dict[str, Any]:
    reason = permission.reason
    return {
        "allowed": permission.allowed,
        "open_by_carc": permission.open_by_carc,
        "reason": None
        if reason is None
        else {"type": f"/problems/{reason.code}", "detail": reason.message},
    }


# -- patients, encounters, procedures -----------------------------------------------------------
# A patient's page is one tree of plain data validated once by pydantic-core (in Rust), not a
# model built per procedure, balance and permission: on a patient with 36 procedures that is
# ~0.25 ms less per read (docs/benchmarks/api-load.md).
class ProcedureOut(Out):
    id: int
    encounter_id: int
    patient_id: BodyId
    line_number: int
    code: str
    modifiers: list[str]
    units: int
    date_of_service: date
    pr_source: str
    balance: BalanceOut
    write_off: PermissionOut
    cancel: PermissionOut
    void_charge: PermissionOut

    @classmethod
    def of(cls, account: ProcedureAccount) -> ProcedureOut:
        return cls.model_validate(_procedure_data(account))


def _procedure_data(account: ProcedureAccount) -> dict[str, Any]:
    row = account.procedure
    return {
        "id": row.id, "encounter_id": row.encounter_id, "patient_id": row.patient_id,
        "line_number": row.line_number, "code": row.code,
        "modifiers": [m for m in row.modifiers.split(":") if m], "units": row.units,
        "date_of_service": row.date_of_service, "pr_source": row.pr_source,
        "balance": _balance_data(account.balance),
        "write_off": _permission_data(account.write_off),
        "cancel": _permission_data(account.cancel),
        "void_charge": _permission_data(account.void_charge),
    }  # fmt: skip


class EncounterOut(Out):
    id: int
    patient_id: BodyId
    patient_control_number: str
    date_of_service: date
    balance: BalanceOut
    procedures: list[ProcedureOut]

    @classmethod
    def of(cls, account: EncounterAccount) -> EncounterOut:
        return cls.model_validate(_encounter_data(account))


def _encounter_data(account: EncounterAccount) -> dict[str, Any]:
    row = account.encounter
    return {
        "id": row.id, "patient_id": row.patient_id,
        "patient_control_number": row.patient_control_number,
        "date_of_service": row.date_of_service, "balance": _balance_data(account.balance),
        "procedures": [_procedure_data(p) for p in account.procedures],
    }  # fmt: skip


class PatientSummaryOut(Out):
    id: int
    mrn: str
    first_name: str
    last_name: str
    birth_date: date | None
    outstanding_balance: AmountOut

    @classmethod
    def of(cls, summary: PatientSummary) -> PatientSummaryOut:
        return cls(**_patient_fields(summary.patient, summary.balance))


class PatientOut(PatientSummaryOut):
    balance: BalanceOut
    encounters: list[EncounterOut]

    @classmethod
    def of(cls, account: PatientAccount) -> PatientOut:  # type: ignore[override]
        data = _patient_fields(account.patient, account.balance)
        data["balance"] = _balance_data(account.balance)
        data["encounters"] = [_encounter_data(e) for e in account.encounters]
        return cls.model_validate(data)


def _patient_fields(row: Any, balance: Balance) -> dict[str, Any]:
    return {
        "id": row.id, "mrn": row.mrn, "first_name": row.first_name,
        "last_name": row.last_name, "birth_date": row.birth_date,
        "outstanding_balance": balance.patient_balance,
    }  # fmt: skip


# -- registering patients and visits --------------------------------------------------------------
Text = Annotated[str | None, Field(max_length=100)]


class CoverageIn(In):
    payer_code: str = Field(min_length=1, max_length=80, description="The payer's identifier.")
    order: CoverageOrder = CoverageOrder.PRIMARY
    member_id: str | None = Field(None, max_length=80, description="The patient's, when blank.")
    payer_name: str | None = Field(None, max_length=200, description="For a payer not seen yet.")

    def coverage(self) -> CoverageInput:
        return CoverageInput(self.payer_code, self.order, self.member_id, self.payer_name)


class PatientFieldsIn(In):
    """Demographics and coverages; a field left out (or null) is not given."""

    mrn: str | None = Field(None, min_length=1, max_length=50)
    first_name: Text = None
    last_name: Text = None
    birth_date: QueryDay = None
    sex: Sex | None = None
    member_id: str | None = Field(None, max_length=80)
    address_line1: Text = None
    address_line2: Text = None
    city: str | None = Field(None, max_length=60)
    state: str | None = Field(None, max_length=10)
    postal_code: str | None = Field(None, max_length=15)
    coverages: list[CoverageIn] = Field(default_factory=list, max_length=3)

    def details(self) -> PatientDetails:
        return PatientDetails(
            self.first_name, self.last_name, self.birth_date, self.sex, self.member_id,
            self.address_line1, self.address_line2, self.city, self.state, self.postal_code,
        )  # fmt: skip


ClearableDetail = Literal[
    "first_name", "birth_date", "sex", "member_id", "address_line1", "address_line2", "city",
    "state", "postal_code",
]  # fmt: skip


class CoverageKeyIn(In):
    """One of the patient's coverages: its payer's identifier and its order."""

    payer_code: str = Field(min_length=1, max_length=80)
    order: Literal["primary", "secondary", "tertiary"] = "primary"

    def key(self) -> CoverageKey:
        return CoverageKey(self.payer_code, self.order)


class PatientChangesIn(PatientFieldsIn):
    """Demographics and coverages; a field left out (or null) is left as it is, those named in
    ``clear`` are emptied, the coverages in ``remove_coverages`` are removed, then coverages
    sent are added (one held already, same payer and order, takes the member id sent)."""

    clear: list[ClearableDetail] = Field(default_factory=list, max_length=9)
    remove_coverages: list[CoverageKeyIn] = Field(default_factory=list, max_length=9)


class PatientIn(PatientFieldsIn):
    mrn: str = Field(min_length=1, max_length=50)
    last_name: str = Field(min_length=1, max_length=100)


class CoverageOut(Out):
    order: str
    payer_id: int
    payer_code: str
    payer_name: str
    member_id: str | None


class StampOut(Out):
    """Who wrote or changed a row and when; ``user_id`` and ``user_name`` null when nobody
    was recorded (rows written before the rows carried their user)."""

    user_id: int | None
    user_name: str | None
    at: datetime


class PatientRecordOut(Out):
    """A patient's demographics and coverages (``dry_run``: as they would be); who registered
    the patient, and who last changed their details (null: nobody since)."""

    id: int
    mrn: str
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    member_id: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    coverages: list[CoverageOut]
    registered: StampOut
    changed: StampOut | None
    dry_run: bool = False

    @classmethod
    def of(cls, record: PatientRecord, dry_run: bool = False) -> PatientRecordOut:
        row = record.patient
        return cls(
            **{name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)},
            coverages=[CoverageOut.model_validate(asdict(c)) for c in record.coverages],
            registered=StampOut.model_validate(asdict(record.registered)),
            changed=None
            if record.changed is None
            else StampOut.model_validate(asdict(record.changed)),
            dry_run=dry_run,
        )


class ProcedureIn(In):
    code: str = Field(min_length=1, max_length=10, description="CPT or HCPCS code.")
    charge: AmountIn
    modifiers: list[Annotated[str, Field(max_length=2)]] = Field(default_factory=list, max_length=4)
    units: int = Field(1, ge=1, le=9999)
    line_item_control_number: str | None = Field(None, max_length=50)
    date_of_service: QueryDay = Field(None, description="When not the visit's.")

    def line(self) -> ProcedureInput:
        return ProcedureInput(
            self.code, self.charge, tuple(self.modifiers), self.units,
            self.line_item_control_number, self.date_of_service,
        )  # fmt: skip


class VisitIn(In):
    date_of_service: Annotated[date, AfterValidator(day_in_range)]
    procedures: list[ProcedureIn] = Field(min_length=1, max_length=50)
    patient_control_number: str | None = Field(
        None, max_length=38, description="The claim id; made up when left out."
    )
    payer_id: BodyId | None = None
    place_of_service: str | None = Field(None, max_length=10)
    rendering_provider: str | None = Field(None, max_length=200)
    diagnosis_codes: list[Annotated[str, Field(max_length=8)]] = Field(
        default_factory=list, max_length=12
    )

    def details(self) -> VisitDetails:
        return VisitDetails(
            self.place_of_service, self.rendering_provider, tuple(self.diagnosis_codes)
        )


class VoidIn(In):
    reason: CancelReason = CancelReason.ENTERED_IN_ERROR
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class PayerOut(Out):
    id: int
    payer_code: str
    name: str


# -- the journal --------------------------------------------------------------------------------
class EntryOut(Out):
    procedure_id: BodyId
    column: str
    carc: str
    amount: AmountOut
    payment_id: int | None

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(
            procedure_id=entry.procedure_id, column=entry.column.value, carc=entry.carc,
            amount=entry.amount_cents, payment_id=entry.payment_id,
        )  # fmt: skip


#: What each field of a posted transaction means (``domain.transaction``, ``TransactionView``).
_MEANING = {
    name: text.replace("``", "`") for name, text in field_descriptions(TransactionView).items()
}


def _meaning(name: str) -> Any:
    """A field of ``TransactionOut`` described as the record it comes from describes it."""
    return Field(description=_MEANING[name])


class TransactionOut(Out):
    """A posted transaction: what the journal keeps of it, and its entries."""

    id: int = _meaning("id")
    kind: TransactionKind = _meaning("kind")
    created_at: datetime = _meaning("created_at")
    user: str = _meaning("user")
    source: str = _meaning("source")
    reason_code: str | None = _meaning("reason_code")
    reason_text: str | None = _meaning("reason_text")
    note: str | None = _meaning("note")
    reverts: int | None = _meaning("reverts_id")
    reverted_by: list[int] = _meaning("reverted_by")
    payment_id: int | None = _meaning("payment_id")
    remittance_id: int | None = _meaning("remittance_id")
    entries: list[EntryOut] = _meaning("entries")

    @classmethod
    def of(cls, view: TransactionView) -> TransactionOut:
        return cls(
            id=view.id, kind=view.kind, created_at=view.created_at, user=view.user,
            source=view.source, reason_code=view.reason_code, reason_text=view.reason_text,
            note=view.note, reverts=view.reverts_id, reverted_by=list(view.reverted_by),
            payment_id=view.payment_id, remittance_id=view.remittance_id,
            entries=[EntryOut.of(e) for e in view.entries],
        )  # fmt: skip


class WriteOffOut(TransactionOut):
    """A write-off (or its removal): amounts written off per (procedure, CARC) still standing."""

    written_off: AmountOut
    remaining: AmountOut


class EffectOut(Out):
    """A dry run: what would be posted and each procedure's balance before and after; for a
    write-off or cancellation above the user's limit, the approval request it would wait in
    instead (``approval``, whose number is not kept)."""

    dry_run: bool = True
    kinds: list[TransactionKind]
    entries: list[EntryOut]
    before: dict[int, BalanceOut]
    after: dict[int, BalanceOut]
    approval: ApprovalOut | None = None

    @classmethod
    def of(cls, effect: DryRunEffect, approval: ApprovalView | None = None) -> EffectOut:
        return cls(
            kinds=effect.kinds, entries=[EntryOut.of(e) for e in effect.entries],
            before={k: BalanceOut.of(v) for k, v in effect.before.items()},
            after={k: BalanceOut.of(v) for k, v in effect.after.items()},
            approval=None if approval is None else ApprovalOut.of(approval),
        )  # fmt: skip


# -- write-offs, drafts, approvals --------------------------------------------------------------
class WriteOffIn(BaseModel):
    """One write-off: one target, and amounts per PR CARC or one amount split by the rule."""

    model_config = ConfigDict(extra="forbid")
    procedure_id: BodyId | None = None
    payment_item_id: BodyId | None = None
    encounter_id: BodyId | None = None
    patient_id: BodyId | None = None
    amounts: dict[str, AmountIn] | None = Field(None, examples=[{"2": "15.00"}])
    amount: AmountIn | None = None
    reason: WriteOffReason
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class WriteOffsIn(In):
    write_offs: list[WriteOffIn] = Field(min_length=1, max_length=500)


class RemoveIn(In):
    amount: AmountIn | None = Field(None, description="Part to remove; all of it when absent.")
    reason: ReversalReason
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class FigureChangeOut(Out):
    before: AmountOut
    after: AmountOut
    changed: bool


class PreviewOut(Out):
    procedure: dict[str, FigureChangeOut]
    encounter: dict[str, FigureChangeOut]

    @classmethod
    def of(cls, preview: Preview) -> PreviewOut:
        def side(changes: dict[str, FigureChange]) -> dict[str, FigureChangeOut]:
            return {
                name: FigureChangeOut(before=c.before_cents, after=c.after_cents, changed=c.changed)
                for name, c in ((name, changes[name]) for name in FIGURES)
            }

        return cls(procedure=side(preview.procedure), encounter=side(preview.encounter))


class DraftIn(In):
    payment_item_id: BodyId | None = None
    procedure_id: BodyId | None = None
    amounts: dict[str, AmountIn] = Field(examples=[{"1": "30.00"}])
    reason: WriteOffReason
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class DraftPatch(In):
    amounts: dict[str, AmountIn] | None = None
    reason: WriteOffReason | None = None
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class DraftOut(Out):
    id: int
    procedure_id: BodyId
    payment_item_id: int | None
    amounts: dict[str, AmountOut]
    reason_code: str
    reason_text: str
    note: str | None
    status: str
    posted_transaction_id: int | None
    approval_id: int | None
    preview: PreviewOut | None
    problem: ReasonOut | None

    @classmethod
    def of(cls, view: DraftView) -> DraftOut:
        problem = view.problem
        return cls(
            id=view.id, procedure_id=view.procedure_id, payment_item_id=view.payment_item_id,
            amounts=view.amounts, reason_code=view.reason_code, reason_text=view.reason_text,
            note=view.note, status=view.status, posted_transaction_id=view.posted_transaction_id,
            approval_id=view.approval_id, preview=None if view.preview is None else PreviewOut.of(view.preview),
            problem=None if problem is None else ReasonOut(type=f"/problems/{problem.code}", detail=problem.message),
        )  # fmt: skip


# -- remittances: the posting tool's payment items ---------------------------------------------
class AdjustmentOut(Out):
    group_code: str
    carc: str
    amount: AmountOut

    @classmethod
    def all(cls, adjustments: Iterable[Adjustment]) -> list[AdjustmentOut]:
        return [
            cls(group_code=a.group_code, carc=a.carc, amount=a.amount_cents) for a in adjustments
        ]


class PaymentItemOut(Out):
    """A claim-level or procedure-level item as the payer sent it, with the procedure's balance
    now and whether Write Off PR is offered on it (with the reason when it is not)."""

    id: int
    level: str
    parent_id: int | None
    encounter_id: int
    procedure_id: int | None
    status_code: str | None
    charge: AmountOut
    paid: AmountOut
    allowed: AmountOut | None
    adjustments: list[AdjustmentOut]
    balance: BalanceOut
    write_off: PermissionOut
    drafts: list[DraftOut]

    @classmethod
    def of(cls, view: ItemView) -> PaymentItemOut:
        item = view.item
        return cls(
            id=item.id, level=item.level, parent_id=item.parent_id, encounter_id=item.encounter_id,
            procedure_id=item.procedure_id, status_code=item.status_code, charge=item.charge_cents,
            paid=item.paid_cents, allowed=item.allowed_cents,
            adjustments=AdjustmentOut.all(view.adjustments), balance=BalanceOut.of(view.balance),
            write_off=PermissionOut.of(view.write_off), drafts=[DraftOut.of(d) for d in view.drafts],
        )  # fmt: skip


class RemittanceSummaryOut(Out):
    id: int
    payer: str
    trace_number: str
    payment: AmountOut
    payment_date: date | None
    source: str
    warnings: list[str]  # what its file had off, though its meaning was clear

    @classmethod
    def of(cls, summary: RemittanceSummary) -> RemittanceSummaryOut:
        return cls(
            id=summary.id, payer=summary.payer, trace_number=summary.trace_number,
            payment=summary.payment_cents, payment_date=summary.payment_date, source=summary.source,
            warnings=summary.warnings,
        )  # fmt: skip


class RemittanceOut(RemittanceSummaryOut):
    items: list[PaymentItemOut]

    @classmethod
    def of(cls, view: RemittanceView) -> RemittanceOut:  # type: ignore[override]
        r = view.remittance
        return cls(
            id=r.id, payer=view.payer, trace_number=r.trace_number, payment=r.payment_cents,
            payment_date=r.payment_date, source=r.source, warnings=list(view.warnings),
            items=[PaymentItemOut.of(i) for i in view.items],
        )  # fmt: skip


# -- approvals -----------------------------------------------------------------------------------
class ApprovalOut(Out):
    """An approval request: ``kind`` write_off (its ``write_offs``) or cancellation (its
    ``cancellations``, one), as the client asked for them."""

    id: int
    kind: str
    status: str
    total: AmountOut
    requested_by: int
    created_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    transaction_ids: list[int]
    write_offs: list[dict[str, Any]]
    cancellations: list[dict[str, Any]]
    draft_id: int | None

    @classmethod
    def of(cls, view: ApprovalView) -> ApprovalOut:
        asked = [_request_out(r) for r in view.requests]
        cancellation = view.kind == TransactionKind.CANCELLATION
        return cls(
            id=view.id, kind=view.kind, status=view.status, total=view.total_cents,
            requested_by=view.requested_by, created_at=view.created_at,
            decided_by=view.decided_by, decided_at=view.decided_at,
            decision_reason=view.decision_reason, transaction_ids=list(view.transaction_ids),
            write_offs=[] if cancellation else asked, cancellations=asked if cancellation else [],
            draft_id=view.draft_id,
        )  # fmt: skip


def _request_out(request: LedgerRequest) -> dict[str, Any]:
    """A waiting write-off or cancellation as the client sent it, amounts as decimal strings."""
    data = {key: value for key, value in asdict(request).items() if value is not None}
    if request.amounts is not None:
        data["amounts"] = {carc: format_cents(to_cents(v)) for carc, v in request.amounts.items()}
    if "total" in data:
        data["amount"] = format_cents(to_cents(data.pop("total")))
    return data


class WriteOffsPosted(Out):
    """The outcome of POST /write-offs: posted write-offs, or the approval they wait in."""

    status: str
    write_offs: list[WriteOffOut] = []
    approval: ApprovalOut | None = None


class RejectIn(In):
    reason: str = Field(min_length=1, max_length=500)


# -- payments -----------------------------------------------------------------------------------
class PaymentIn(In):
    patient_id: BodyId
    amount: AmountIn
    method: PaymentMethod = PaymentMethod.CARD
    encounter_id: BodyId | None = None
    reference: str | None = Field(None, max_length=80)
    note: str | None = Field(None, max_length=2000)


class RefundIn(In):
    amount: AmountIn | None = None
    note: str | None = Field(None, max_length=2000)


class CancellationIn(In):
    procedure_id: BodyId
    amounts: dict[str, AmountIn] | None = None
    amount: AmountIn | None = None
    reason: CancelReason
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class ReverseIn(In):
    reason: ReversalReason
    custom_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class PaymentOut(Out):
    id: int
    patient_id: BodyId
    encounter_id: int | None
    amount: AmountOut
    method: str
    received_on: date
    applied: AmountOut
    credit: AmountOut
    returned: AmountOut

    @classmethod
    def of(cls, view: PaymentView) -> PaymentOut:
        payment = view.payment
        return cls(
            id=payment.id, patient_id=payment.patient_id, encounter_id=payment.encounter_id,
            amount=payment.amount_cents, method=payment.method, received_on=payment.received_on,
            applied=view.applied_cents, credit=view.credit_cents, returned=view.returned_cents,
        )  # fmt: skip


class TokenIn(In):
    organisation_id: BodyId
    username: str = Field(max_length=100)
    password: str = Field(max_length=200)
    name: str = Field("api", max_length=100)


class TokenOut(Out):
    token: str
    token_type: str = "bearer"
    expires_at: datetime


class TokenInfoOut(Out):
    """A token that still works (the token itself is never shown again)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime


# -- 835 imports and the review queue -------------------------------------------------------------
class ImportSummaryOut(Out):
    """What an 835 import posted (or, in a dry run, would post); held claims by reason."""

    file_name: str
    dry_run: bool
    remittances: int
    already_imported: int
    claims: int
    lines: int
    claims_posted: int
    lines_posted: int
    paid: AmountOut
    pr_by_carc: dict[str, AmountOut]
    held: dict[str, int]
    provider_adjustments: AmountOut
    warnings: list[str]

    @classmethod
    def of(cls, summary: ImportSummary) -> ImportSummaryOut:
        return cls(
            file_name=summary.file_name, dry_run=summary.dry_run, remittances=summary.remittances,
            already_imported=summary.already_imported, claims=summary.claims, lines=summary.lines,
            claims_posted=summary.claims_posted, lines_posted=summary.lines_posted,
            paid=summary.paid_cents, pr_by_carc=dict(summary.pr_by_carc), held=dict(summary.held),
            provider_adjustments=summary.provider_adjustment_cents, warnings=summary.warnings,
        )  # fmt: skip


class HeldSubmittedClaimOut(Out):
    """A claim of an 837 that was held: its number and why."""

    patient_control_number: str
    reason: str


class ClaimImportOut(Out):
    """What an 837 import registered (or, in a dry run, would register)."""

    file_name: str
    dry_run: bool
    already_imported: bool
    claims: int
    lines: int
    imported: int
    replaced: int
    voided: int
    unchanged: int
    held: list[HeldSubmittedClaimOut]
    patients_added: int
    patients_matched: int
    charges: AmountOut

    @classmethod
    def of(cls, summary: ClaimImportSummary) -> ClaimImportOut:
        return cls(
            file_name=summary.file_name, dry_run=summary.dry_run,
            already_imported=summary.already_imported, claims=summary.claims,
            lines=summary.lines, imported=summary.imported, replaced=summary.replaced,
            voided=summary.voided, unchanged=summary.unchanged,
            held=[HeldSubmittedClaimOut(patient_control_number=number, reason=reason)
                  for number, reason in summary.held],
            patients_added=summary.patients_added, patients_matched=summary.patients_matched,
            charges=summary.charge_cents,
        )  # fmt: skip


class CsvImportOut(Out):
    """What a CSV import registered (or, in a dry run, would register)."""

    file_name: str
    dry_run: bool
    rows: int
    patients_added: int
    patients_matched: int
    visits: int
    visits_unchanged: int
    lines: int
    charges: AmountOut

    @classmethod
    def of(cls, summary: CsvImportSummary) -> CsvImportOut:
        data = asdict(summary)
        data["charges"] = data.pop("charge_cents")
        return cls(**data)


class HeldLineOut(Out):
    code: str
    modifiers: list[str]
    service_date: date | None
    line_item_control_number: str | None
    charge: AmountOut
    paid: AmountOut
    adjustments: list[AdjustmentOut]


class HeldClaimOut(Out):
    """A claim an import held: why, what the payer sent, and how it was resolved (if it was)."""

    id: int
    reason: str
    label: str
    detail: str
    patient_control_number: str
    patient_name: str
    status_code: str
    charge: AmountOut
    paid: AmountOut
    payer: str
    trace_number: str
    file_name: str | None
    warnings: list[str]  # what the remittance's file had off, though its meaning was clear
    created_at: datetime
    adjustments: list[AdjustmentOut]
    lines: list[HeldLineOut]
    resolution: str | None
    encounter_id: int | None
    transaction_id: int | None
    note: str | None

    @classmethod
    def of(cls, item: HeldClaim) -> HeldClaimOut:
        claim = item.claim
        lines = [
            HeldLineOut(
                code=line.code, modifiers=list(line.modifiers), service_date=line.service_date,
                line_item_control_number=line.line_item_control_number,
                charge=line.charge_cents, paid=line.paid_cents,
                adjustments=AdjustmentOut.all(line.adjustments),
            )
            for line in claim.lines
        ]  # fmt: skip
        return cls(
            id=item.id, reason=item.reason, label=item.label, detail=item.detail,
            patient_control_number=claim.patient_control_number, patient_name=claim.patient_name,
            status_code=claim.status_code, charge=claim.charge_cents, paid=claim.paid_cents,
            payer=item.payer, trace_number=item.trace_number, file_name=item.file_name,
            warnings=list(item.warnings), created_at=item.created_at, adjustments=AdjustmentOut.all(claim.adjustments),
            lines=lines, resolution=item.resolution, encounter_id=item.encounter_id,
            transaction_id=item.transaction_id, note=item.note,
        )  # fmt: skip


class EncounterChoiceOut(Out):
    encounter_id: int
    patient_id: int
    patient_name: str
    mrn: str
    date_of_service: date
    patient_control_number: str
    named_by_claim: bool
    procedure_ids: list[int]

    @classmethod
    def of(cls, choice: EncounterChoice) -> EncounterChoiceOut:
        return cls(
            encounter_id=choice.encounter_id, patient_id=choice.patient_id,
            patient_name=choice.patient_name, mrn=choice.mrn,
            date_of_service=choice.date_of_service,
            patient_control_number=choice.patient_control_number,
            named_by_claim=choice.named_by_claim, procedure_ids=[p.id for p in choice.procedures],
        )  # fmt: skip


class HeldClaimPostIn(In):
    """Post a held claim to an encounter; ``procedure_ids`` (one per line, in order) only when
    the lines do not match the encounter's procedures by the usual rules."""

    encounter_id: BodyId
    procedure_ids: list[BodyId] | None = Field(default=None, max_length=999)


class DismissIn(In):
    reason: str = Field(min_length=1, max_length=500)


# -- reports ---------------------------------------------------------------------------------------
class AdjustmentReportOut(Out):
    kind: TransactionKind
    reason_code: str
    reason_text: str
    posted_count: int
    net: AmountOut

    @classmethod
    def of(cls, line: AdjustmentLine) -> AdjustmentReportOut:
        return cls(
            kind=line.kind, reason_code=line.reason_code, reason_text=line.reason_text,
            posted_count=line.posted_count, net=line.net_cents,
        )  # fmt: skip


class CollectionReportOut(Out):
    method: str
    payments: int
    received: AmountOut
    refunded: AmountOut
    net: AmountOut

    @classmethod
    def of(cls, line: CollectionLine) -> CollectionReportOut:
        return cls(
            method=line.method, payments=line.payments, received=line.received_cents,
            refunded=line.refunded_cents, net=line.net_cents,
        )  # fmt: skip


class PayerReportOut(Out):
    payer: str
    remittances: int
    paid: AmountOut
    contractual: AmountOut
    other_adjustments: AmountOut
    pr: AmountOut

    @classmethod
    def of(cls, line: PayerLine) -> PayerReportOut:
        return cls(
            payer=line.payer, remittances=line.remittances, paid=line.paid_cents,
            contractual=line.contractual_cents, other_adjustments=line.other_adjustments_cents,
            pr=line.pr_cents,
        )  # fmt: skip


class AgingLineOut(Out):
    patient_id: int
    mrn: str
    name: str
    buckets: list[AmountOut]
    total: AmountOut


class AgingOut(Out):
    """What patients owe now by age of visit; ``buckets`` names the day ranges the amounts use."""

    as_of: date
    buckets: list[str]
    totals: list[AmountOut]
    patients: int
    lines: list[AgingLineOut]

    @classmethod
    def of(cls, report: AgingReport) -> AgingOut:
        return cls(
            as_of=report.as_of,
            buckets=[f"{first}-{last}" if last else f"{first}+" for first, last in AGING_BUCKETS],
            totals=list(report.totals), patients=report.patients,
            lines=[
                AgingLineOut(patient_id=line.patient_id, mrn=line.mrn, name=line.name,
                             buckets=list(line.buckets), total=line.total_cents)
                for line in report.lines
            ],
        )  # fmt: skip
