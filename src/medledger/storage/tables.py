"""The schema. Every row carries its organisation; money columns end in ``_cents``.

Rules the database can hold, it holds: CHECKs on kinds, columns and signs, UNIQUE idempotency keys,
foreign keys, and (in the migration's SQL) triggers refusing UPDATE/DELETE on the journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)

from medledger.domain.columns import Column as LedgerColumn
from medledger.domain.registration import CoverageOrder
from medledger.domain.review import HOLD_REASONS
from medledger.domain.statuses import APPROVAL_KINDS, ApprovalStatus, DraftStatus, Resolution, Role
from medledger.domain.transaction import TransactionKind

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "%(table_name)s_chk_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys

SOURCES = ("ui", "api", "cli", "era", "rule", "demo", "test")
#: One of the ledger's column names, as equalities rather than ``IN (...)``: SQLite checks an
#: IN list of three or more through a temporary index built per row (migration 0008).
_ledger_column_check = " OR ".join(f"\"column\" = '{c.value}'" for c in LedgerColumn)


def _one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK that ``column`` holds one of ``values`` (an enum's, so the two cannot drift)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _org() -> Column[int]:
    return Column("organisation_id", Id, ForeignKey("organisations.id"), nullable=False)


def in_organisation(table: Table, organisation_id: int) -> ColumnElement[bool]:
    """``table``'s rows of one organisation, for a query that picks rows by a list of ids.

    Compared as ``organisation_id + 0``: SQLite keeps no statistics and guesses that an equality
    on an organisation-leading index (patients' MRN, encounters' claim number, transactions'
    idempotency key) finds ten rows, so for a list of more than a few ids it read every row of
    the organisation through that index instead of looking the ids up (the work list's 25
    patients: 25 ms at 250,000 patients). An expression cannot use an index; both engines then
    take the ids' own index.
    """
    return table.c.organisation_id + 0 == organisation_id


class UtcDateTime(TypeDecorator[datetime]):
    """A stored moment, read back in UTC on both engines: PostgreSQL answers in its session's
    time zone, SQLite with none (the ledger writes UTC), so the same row would otherwise show
    differently by engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _created() -> Column[object]:
    return Column("created_at", UtcDateTime(), nullable=False)


def _by(name: str = "created_by") -> Column[int]:
    """The user who wrote (``created_by``) or last changed (``updated_by``) a row of the
    practice's own data. Empty on rows written before migration 0017 that nothing could
    attribute (see there)."""
    return Column(name, Id, ForeignKey("users.id"))


#: Secrets of this installation, shared by every process on the database: ``session_key`` signs
#: the session cookie (unless MEDLEDGER_SECRET_KEY is set). Made once, by whichever process needs
#: it first; never changed by the application.
instance_secrets = Table(
    "instance_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
    _created(),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    _created(),
)

#: An organisation's settings; without a row, the defaults (limit window: today in UTC).
organisation_settings = Table(
    "organisation_settings",
    metadata,
    Column("organisation_id", Id, ForeignKey("organisations.id"), primary_key=True),
    Column("time_zone", String(64), nullable=False),
    Column("limit_window_days", Integer, nullable=False),
    CheckConstraint("limit_window_days BETWEEN 1 AND 366", name="limit_window_days"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("username", String(100), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text),
    Column("write_off_limit_cents", BigInteger),
    Column("active", Boolean, nullable=False, default=True),
    _created(),
    UniqueConstraint("organisation_id", "username"),
    CheckConstraint(_one_of("role", Role), name="role"),
    CheckConstraint(
        "write_off_limit_cents IS NULL OR write_off_limit_cents >= 0", name="write_off_limit"
    ),
)
#: Usernames are stored normalised (``domain/credentials.py``); this index refuses, in the
#: database too, a name that differs from another only in (ASCII) case.
Index("users_username_folded", users.c.organisation_id, func.lower(users.c.username), unique=True)

patients = Table(
    "patients",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("mrn", String(50), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("birth_date", Date),
    _created(),
    Column("sex", String(1)),
    Column("member_id", String(80)),
    Column("address_line1", String(100)),
    Column("address_line2", String(100)),
    Column("city", String(60)),
    Column("state", String(10)),
    Column("postal_code", String(15)),
    _by(),
    _by("updated_by"),
    Column("updated_at", UtcDateTime()),
    UniqueConstraint("organisation_id", "mrn"),
    Index("ix_patients_name", "organisation_id", "last_name", "first_name"),
    Index("ix_patients_member_id", "organisation_id", "member_id"),
)

payers = Table(
    "payers",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("payer_code", String(80), nullable=False),
    Column("name", String(200), nullable=False),
    _created(),
    _by(),
    UniqueConstraint("organisation_id", "payer_code"),
)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("patient_id", Id, ForeignKey("patients.id"), nullable=False, index=True),
    Column("payer_id", Id, ForeignKey("payers.id")),
    Column("patient_control_number", String(38), nullable=False),
    Column("date_of_service", Date, nullable=False),
    _created(),
    Column("place_of_service", String(10)),
    Column("rendering_provider", String(200)),
    Column("diagnosis_codes", Text),  # comma-separated, in the claim's order
    Column("frequency_code", String(1)),  # CLM05-3 of the claim that last set its lines
    _by(),
    UniqueConstraint("organisation_id", "patient_control_number"),
)

procedures = Table(
    "procedures",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("encounter_id", Id, ForeignKey("encounters.id"), nullable=False, index=True),
    Column("patient_id", Id, ForeignKey("patients.id"), nullable=False, index=True),
    Column("line_number", Integer, nullable=False),
    Column("code", String(10), nullable=False),
    Column("modifiers", String(20), nullable=False, default=""),
    Column("units", Integer, nullable=False, default=1),
    Column("date_of_service", Date, nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("line_item_control_number", String(50)),
    Column("pr_source", String(10), nullable=False, default="none"),
    _created(),
    Column("revenue_code", String(4)),
    _by(),
    UniqueConstraint("encounter_id", "line_number"),
    CheckConstraint("charge_cents >= 0", name="charge_not_negative"),
    CheckConstraint("units > 0", name="units_positive"),
    CheckConstraint("pr_source IN ('none', 'estimate', 'remittance')", name="pr_source"),
)

#: A patient's insurance: which payer, in which order, under which member id.
coverages = Table(
    "coverages",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("patient_id", Id, ForeignKey("patients.id"), nullable=False, index=True),
    Column("payer_id", Id, ForeignKey("payers.id"), nullable=False),
    Column("coverage_order", String(10), nullable=False),
    Column("member_id", String(80)),
    _created(),
    _by(),
    UniqueConstraint("patient_id", "coverage_order", "payer_id"),
    CheckConstraint(_one_of("coverage_order", CoverageOrder), name="order"),
)

#: An imported 837 file, once per organisation and content (a re-import posts nothing).
claim_files = Table(
    "claim_files",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("file_hash", String(64), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("claims", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    _created(),
    UniqueConstraint("organisation_id", "file_hash"),
)

SUBMITTED_CLAIM_STATUSES = ("imported", "replaced", "voided", "unchanged", "held")

#: Each claim of an imported 837 and what the import did with it (held ones say why).
submitted_claims = Table(
    "submitted_claims",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("claim_file_id", Id, ForeignKey("claim_files.id"), nullable=False, index=True),
    Column("encounter_id", Id, ForeignKey("encounters.id"), index=True),
    Column("patient_control_number", String(38), nullable=False),
    Column("frequency_code", String(1), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("held_reason", String(500)),
    Column("position", Integer, nullable=False),
    _created(),
    CheckConstraint(_one_of("status", SUBMITTED_CLAIM_STATUSES), name="status"),
    CheckConstraint("(status = 'held') = (held_reason IS NOT NULL)", name="held_reason"),
    Index("ix_submitted_claims_number", "organisation_id", "patient_control_number"),
)

remittances = Table(
    "remittances",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("payer_id", Id, ForeignKey("payers.id"), nullable=False),
    Column("trace_number", String(80), nullable=False),
    Column("payment_cents", BigInteger, nullable=False),
    Column("payment_date", Date),
    Column("source", String(10), nullable=False),
    Column("file_name", String(255)),
    Column("content_hash", String(64)),
    # What its file had off, though its meaning was clear: one warning a line (era_import.py).
    Column("warnings", Text),
    _created(),
    UniqueConstraint("organisation_id", "payer_id", "trace_number"),
)

payment_items = Table(
    "payment_items",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("remittance_id", Id, ForeignKey("remittances.id"), nullable=False, index=True),
    Column("parent_id", Id, ForeignKey("payment_items.id")),
    Column("level", String(10), nullable=False),
    Column("encounter_id", Id, ForeignKey("encounters.id"), nullable=False, index=True),
    Column("procedure_id", Id, ForeignKey("procedures.id"), index=True),
    Column("status_code", String(3)),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("allowed_cents", BigInteger),
    Column("payer_claim_control_number", String(50)),
    # Its CAS adjustments in the payer's order, "group:carc:cents" joined by ";" ("" for none):
    # read only all together, so a column rather than a row per triple (remittance_store.py).
    Column("adjustments", Text, nullable=False, server_default=""),
    CheckConstraint("level IN ('claim', 'procedure')", name="level"),
    CheckConstraint(
        "(level = 'claim' AND procedure_id IS NULL) OR (level = 'procedure' AND procedure_id IS NOT NULL)",
        name="procedure_matches_level",
    ),
)

provider_adjustments = Table(
    "provider_adjustments",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("remittance_id", Id, ForeignKey("remittances.id"), nullable=False, index=True),
    Column("provider_id", String(80), nullable=False),
    Column("fiscal_period_date", Date, nullable=False),
    Column("reason_code", String(5), nullable=False),
    Column("reference", String(50)),
    Column("amount_cents", BigInteger, nullable=False),
)

#: A procedure whose charge was taken back (its negative charge entry is in the journal,
#: ``transaction_id``): by a replacement or void claim (``submitted_claim_id``), or by hand, a
#: charge entered in error (no claim). Payers' answers are matched to the lines that stand.
procedure_voids = Table(
    "procedure_voids",
    metadata,
    Column("procedure_id", Id, ForeignKey("procedures.id"), primary_key=True),
    _org(),
    Column("submitted_claim_id", Id, ForeignKey("submitted_claims.id")),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    _created(),
)

patient_payments = Table(
    "patient_payments",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("patient_id", Id, ForeignKey("patients.id"), nullable=False, index=True),
    Column("encounter_id", Id, ForeignKey("encounters.id")),
    Column("amount_cents", BigInteger, nullable=False),
    Column("method", String(20), nullable=False),
    Column("reference", String(80)),
    Column("received_on", Date, nullable=False),
    _created(),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("payment_id", Id, ForeignKey("patient_payments.id"), nullable=False, index=True),
    Column("amount_cents", BigInteger, nullable=False),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    _created(),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
)

#: The journal: one row per ``domain.transaction.TransactionHeader`` (the columns are its
#: fields) with its id, organisation and time; the entries follow in ``ledger_entries``.
ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("kind", String(20), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("source", String(10), nullable=False),
    Column("reason_code", String(40)),
    Column("reason_text", String(500)),
    Column("note", Text),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("reverts_id", Id, ForeignKey("ledger_transactions.id"), index=True),
    Column("patient_id", Id, ForeignKey("patients.id")),
    Column("remittance_id", Id, ForeignKey("remittances.id")),
    Column("payment_id", Id, ForeignKey("patient_payments.id")),
    _created(),
    UniqueConstraint("organisation_id", "idempotency_key"),
    CheckConstraint(_one_of("kind", TransactionKind), name="kind"),
    CheckConstraint(_one_of("source", SOURCES), name="source"),
    CheckConstraint("(kind = 'reversal') = (reverts_id IS NOT NULL)", name="reversal_links"),
    Index("ix_ledger_transactions_patient", "organisation_id", "patient_id"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False, index=True),
    Column("procedure_id", Id, ForeignKey("procedures.id"), nullable=False, index=True),
    Column("column", String(20), nullable=False),
    Column("carc", String(5), nullable=False, default=""),
    Column("amount_cents", BigInteger, nullable=False),
    Column("payment_id", Id, ForeignKey("patient_payments.id"), index=True),
    CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
    CheckConstraint(_ledger_column_check, name="column"),
)

procedure_balances = Table(
    "procedure_balances",
    metadata,
    Column("procedure_id", Id, ForeignKey("procedures.id"), nullable=False),
    _org(),
    Column("column", String(20), nullable=False),
    Column("carc", String(5), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("procedure_id", "column", "carc"),
    CheckConstraint(
        "amount_cents >= 0 OR \"column\" IN ('payer_paid', 'contractual', 'payer_oa', 'payer_pi', 'payer_cr')",
        name="patient_columns_not_negative",
    ),
)

#: Each patient's open PR (``Balance.total_open_pr`` summed over their procedures), kept with
#: ``procedure_balances`` in the same transaction so the work list ranks patients by an index
#: instead of summing every balance row.
patient_open_pr = Table(
    "patient_open_pr",
    metadata,
    Column("patient_id", Id, ForeignKey("patients.id"), primary_key=True),
    _org(),
    Column("open_pr_cents", BigInteger, nullable=False),
)
# In the work list's order (most open PR first, ties by patient), so its LIMIT reads only the rows
# it shows however many patients owe the same amount (migration 0009).
Index(
    "ix_patient_open_pr_rank",
    patient_open_pr.c.organisation_id,
    patient_open_pr.c.open_pr_cents.desc(),
    patient_open_pr.c.patient_id,
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("kind", String(20), nullable=False),
    Column("procedure_id", Id, ForeignKey("procedures.id"), nullable=False, index=True),
    Column("payment_item_id", Id, ForeignKey("payment_items.id")),
    Column("amounts", Text, nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason_text", String(500), nullable=False),
    Column("note", Text),
    Column("status", String(10), nullable=False, default=DraftStatus.OPEN),
    Column("created_by", Id, ForeignKey("users.id"), nullable=False),
    Column("posted_transaction_id", Id, ForeignKey("ledger_transactions.id")),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(_one_of("status", DraftStatus), name="status"),
    CheckConstraint(_one_of("kind", [TransactionKind.WRITE_OFF]), name="kind"),
    Index("ix_drafts_open", "organisation_id", "status"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("revoked_at", UtcDateTime()),
    _created(),
    Column("expires_at", UtcDateTime(), nullable=False),
)

#: A logged-in browser: the cookie carries a random session id, only its SHA-256 is stored.
#: Logging out deletes the row, so a copied cookie stops working; so do a password change and
#: deactivating the user (every row of theirs). Idle and absolute timeouts: services/auth.py.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    _created(),
    Column("last_seen_at", UtcDateTime(), nullable=False),
)

approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("kind", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("requested_by", Id, ForeignKey("users.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("decided_by", Id, ForeignKey("users.id")),
    Column("decided_at", UtcDateTime()),
    Column("decision_reason", String(500)),
    Column("transaction_ids", Text),
    Column("draft_id", Id, ForeignKey("drafts.id")),
    _created(),
    CheckConstraint(_one_of("status", ApprovalStatus), name="status"),
    CheckConstraint(_one_of("kind", APPROVAL_KINDS), name="kind"),
    CheckConstraint("total_cents > 0", name="total_positive"),
    Index("ix_approval_requests_status", "organisation_id", "status"),
)

#: What a pending approval request would write off or cancel, per procedure and CARC: held back
#: from the open PR offered elsewhere until the request is decided (the rows go with the
#: decision). One pending request per procedure and CARC: the UNIQUE key refuses a second.
approval_reservations = Table(
    "approval_reservations",
    metadata,
    _org(),
    Column("approval_id", Id, ForeignKey("approval_requests.id"), nullable=False, index=True),
    Column("procedure_id", Id, ForeignKey("procedures.id"), nullable=False),
    Column("carc", String(5), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("organisation_id", "procedure_id", "carc"),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organisation_id", Id, ForeignKey("organisations.id")),
    Column("user_id", Id, ForeignKey("users.id")),
    Column("action", String(120), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("status_code", Integer, nullable=False),
    _created(),
    Index("ix_audit_events_org_created", "organisation_id", "created_at"),
)


review_items = Table(
    "review_items",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("remittance_id", Id, ForeignKey("remittances.id"), nullable=False, index=True),
    Column("reason", String(30), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("patient_control_number", String(38), nullable=False),
    Column("status_code", String(3), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("claim", Text, nullable=False),  # the claim as the payer sent it (JSON, cents)
    _created(),
    CheckConstraint(_one_of("reason", HOLD_REASONS), name="reason"),
    Index("ix_review_items_organisation", "organisation_id", "id"),
)

review_resolutions = Table(
    "review_resolutions",
    metadata,
    Column("id", Id, primary_key=True),
    _org(),
    Column("review_item_id", Id, ForeignKey("review_items.id"), nullable=False, unique=True),
    Column("action", String(10), nullable=False),
    Column("encounter_id", Id, ForeignKey("encounters.id")),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id")),
    Column("note", Text),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    _created(),
    CheckConstraint(_one_of("action", Resolution), name="action"),
    CheckConstraint(
        "(action = 'posted' AND transaction_id IS NOT NULL AND encounter_id IS NOT NULL) OR "
        "(action = 'dismissed' AND transaction_id IS NULL AND note IS NOT NULL)",
        name="action_fields",
    ),
)
