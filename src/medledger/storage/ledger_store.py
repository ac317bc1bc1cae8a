"""The journal and the balances materialised from it.

``post`` writes a transaction's row, its entries, and adds the entries to ``procedure_balances``
in the same database transaction, so a balance read costs a handful of rows however long the
history is. ``verify`` has the database compare the two, a range of procedures at a time
(``journal_differences``, ``pr_source_mismatches``, ``negative_holdings``); ``recompute`` sums the whole journal.
"""

from __future__ import annotations

import functools
from collections import defaultdict, namedtuple
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column
from medledger.domain.errors import NotFound
from medledger.domain.reversal import Posted
from medledger.domain.transaction import (
    TransactionHeader,
    TransactionKind,
    field_names,
    values,
)
from medledger.storage.bulk import add_to_rows, allocate_ids, chunks, insert_rows, one_of
from medledger.storage.registry import now, procedures_by
from medledger.storage.tables import (
    encounters,
    ledger_entries,
    ledger_transactions,
    patient_open_pr,
    patients,
    procedure_balances,
    procedures,
)


@functools.cache
def _balances_of(dialect: str) -> Select[Any]:
    """Every balance read (every screen, every posting) goes through this one statement, built
    once per dialect (see storage/registry.py on why)."""
    return select(
        procedure_balances.c.procedure_id,
        procedure_balances.c.column,
        procedure_balances.c.carc,
        procedure_balances.c.amount_cents,
    ).where(
        procedure_balances.c.organisation_id == bindparam("org"),
        one_of(procedure_balances.c.procedure_id, dialect, "procedure_ids"),
    )


#: A procedure's balance rows as one text value, "column:carc:cents" joined by ",": a screen of
#: many procedures gets one row per procedure instead of one per balance row, each repeating the
#: procedure's columns. Column names and CARCs (alphanumeric, ``domain.columns.valid_carc``) hold
#: neither separator.
_BALANCE_TEXT = (
    select(
        func.aggregate_strings(
            procedure_balances.c.column
            + literal_column("':'")
            + procedure_balances.c.carc
            + literal_column("':'")
            + cast(procedure_balances.c.amount_cents, String),
            ",",
        )
    )
    .where(
        procedure_balances.c.procedure_id == procedures.c.id,
        procedure_balances.c.organisation_id == procedures.c.organisation_id,
    )
    .scalar_subquery()
    .label("balance_text")
)


@functools.cache
def _procedures_with_balances(owner: str) -> Select[Any]:
    """``registry.procedures_by`` with each procedure's balance rows beside it as text
    (``_BALANCE_TEXT``; NULL when it has none)."""
    return procedures_by(owner).add_columns(_BALANCE_TEXT)


#: A patient, each encounter and each procedure with its balance text, in one statement: the
#: patient row repeated on every line, an encounter's on each of its procedures' lines (one line
#: with the procedure's columns NULL for an encounter without any; one line of NULLs beyond the
#: patient's for a patient without encounters). Encounters in date order, each one's procedures
#: oldest first, as ``procedures_by`` orders them.
_PATIENT_ACCOUNT = (
    select(patients, encounters, procedures, _BALANCE_TEXT)
    .select_from(
        patients.outerjoin(
            encounters,
            and_(
                encounters.c.patient_id == patients.c.id,
                encounters.c.organisation_id == patients.c.organisation_id,
            ),
        ).outerjoin(
            procedures,
            and_(
                procedures.c.encounter_id == encounters.c.id,
                procedures.c.organisation_id == encounters.c.organisation_id,
            ),
        )
    )
    .where(patients.c.organisation_id == bindparam("org"), patients.c.id == bindparam("patient"))
    .order_by(
        encounters.c.date_of_service,
        encounters.c.id,
        procedures.c.date_of_service,
        procedures.c.id,
    )
)


@functools.cache
def record_of(table: Table) -> Any:
    """A named tuple of the table's columns: a row cut out of a wider joined row, read the way
    a ``Row`` of the table alone is read (``record.id``, ``record.date_of_service``)."""
    return namedtuple(f"{table.name}_record", [column.name for column in table.c])


@dataclass(frozen=True)
class PatientRows:
    """A patient's row, its encounters' rows, and its procedures' rows with their balances."""

    patient: Any
    encounters: list[Any]
    procedures: list[tuple[Any, Balance]]


def _balance_of_text(text: str | None) -> Balance:
    """The balance ``_BALANCE_TEXT`` spelled out."""
    if text is None:
        return Balance.of({})
    columns, amounts = _COLUMNS, {}
    for item in text.split(","):
        column, carc, cents = item.split(":")
        amounts[(columns[column], carc)] = int(cents)
    return Balance.of(amounts)


def owed_by_patient() -> Any:
    """A balance row's part in what its patient owes: PR and refunds add, patient money taken
    away (summed over PR CARCs it is open PR; over every CARC, the patient balance)."""
    rows = procedure_balances.c
    return case(
        (rows.column == Column.PATIENT_PAID.value, -rows.amount_cents), else_=rows.amount_cents
    )


#: How an entry moves its patient's open PR (other columns do not).
_OPEN_PR_SIGNS = {Column.PR: 1, Column.PATIENT_PAID: -1, Column.REFUNDED: 1}


# The write path's statements, built once with bind parameters: built per call, SQLAlchemy spent
# more CPU constructing and cache-keying each of them than SQLite spent running it.
_BY_KEY = select(ledger_transactions).where(
    ledger_transactions.c.organisation_id == bindparam("org"),
    ledger_transactions.c.idempotency_key == bindparam("key"),
)
_OPEN_TRANSACTION = insert(ledger_transactions).returning(ledger_transactions.c.id)


@functools.cache
def _lock_statement(columns: tuple[Any, ...], dialect: str) -> Any:
    """Read ``columns`` of the procedures ``procedure_ids`` in id order, locking them on
    PostgreSQL."""
    query = (
        select(*columns)
        .where(
            procedures.c.organisation_id == bindparam("org"),
            one_of(procedures.c.id, dialect, "procedure_ids"),
        )
        .order_by(procedures.c.id)
    )
    return query.with_for_update() if dialect == "postgresql" else query


@functools.cache
def _open_pr_upsert(dialect: str) -> Any:
    """Add ``delta`` to the open PR of ``procedure``'s patient, creating the row if need be (one
    statement per procedure; the patient is found by the database, not by another round trip)."""
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    patient_of = select(
        procedures.c.patient_id, procedures.c.organisation_id, bindparam("delta", type_=BigInteger)
    ).where(
        procedures.c.id == bindparam("procedure"),
        procedures.c.organisation_id == bindparam("organisation"),
    )
    return _adding_to_open_pr(upsert(patient_open_pr), patient_of)


@functools.cache
def _open_pr_upsert_by_patient() -> Any:
    """PostgreSQL: add many procedures' deltas (two arrays, ``procedures`` and ``deltas``) to
    their patients' open PR in one statement: an import's 10,000 procedures cost one execution
    instead of 10,000. Summed per patient first, as an upsert may touch a row once."""
    deltas = (
        func.unnest(
            bindparam("procedures", type_=ARRAY(BigInteger)),
            bindparam("deltas", type_=ARRAY(BigInteger)),
        )
        .table_valued("procedure_id", "delta")
        .render_derived(name="d")
    )
    patient_of = (
        select(
            procedures.c.patient_id,
            procedures.c.organisation_id,
            cast(func.sum(deltas.c.delta), BigInteger),
        )
        .join_from(deltas, procedures, procedures.c.id == deltas.c.procedure_id)
        .where(procedures.c.organisation_id == bindparam("organisation"))
        .group_by(procedures.c.patient_id, procedures.c.organisation_id)
    )
    return _adding_to_open_pr(postgresql_insert(patient_open_pr), patient_of)


def _adding_to_open_pr(upsert: Any, patient_of: Select[Any]) -> Any:
    """``upsert`` of (patient, organisation, cents) rows that adds to a patient's existing row."""
    statement = upsert.from_select(["patient_id", "organisation_id", "open_pr_cents"], patient_of)
    return statement.on_conflict_do_update(
        index_elements=[patient_open_pr.c.patient_id],
        set_={"open_pr_cents": patient_open_pr.c.open_pr_cents + statement.excluded.open_pr_cents},
    )


class LedgerStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id
        self._dialect = connection.dialect.name
        #: Procedures this unit of work has locked since its last write of balances, and of
        #: those whose balance it has read, the (column, CARC) keys of their balance rows (see
        #: ``_add_to_balances``). Each write of balances forgets both, so an import (one unit
        #: of work for a whole file) holds one batch's worth, not every procedure it touched.
        self._locked: set[int] = set()
        self._balance_rows: dict[int, set[tuple[str, str]]] = {}

    # -- serialisation ---------------------------------------------------------------------
    def lock_procedures(self, procedure_ids: Iterable[int]) -> None:
        """Serialise writers per procedure, and refuse procedures of other organisations.

        PostgreSQL: row locks in id order (no deadlocks between two multi-procedure posts).
        SQLite: the write transaction already holds the database's single writer lock.
        """
        self._lock(procedure_ids, procedures.c.id)

    def locked_procedures(self, procedure_ids: Iterable[int]) -> dict[int, Row[Any]]:
        """``lock_procedures`` that also answers the procedures' rows: a writer that needs them
        reads and locks them in one statement."""
        return self._lock(procedure_ids, procedures)

    def _lock(self, procedure_ids: Iterable[int], *columns: Any) -> dict[int, Row[Any]]:
        wanted = sorted(set(procedure_ids))
        found: dict[int, Row[Any]] = {}
        query = _lock_statement(columns, self._dialect)
        for part in chunks(wanted):
            rows = self.connection.execute(
                query, {"org": self.organisation_id, "procedure_ids": part}
            )
            found.update((row.id, row) for row in rows)
        missing = [pid for pid in wanted if pid not in found]
        if missing:
            raise NotFound("procedure", missing[0])
        self._locked.update(found)
        return found

    # -- balances ---------------------------------------------------------------------------
    def balances(self, procedure_ids: Iterable[int]) -> dict[int, Balance]:
        wanted = list(set(procedure_ids))
        sums: dict[int, dict[tuple[Column, str], int]] = {pid: {} for pid in wanted}
        for part in chunks(wanted):
            rows = self.connection.execute(
                _balances_of(self._dialect), {"org": self.organisation_id, "procedure_ids": part}
            )
            columns = _COLUMNS
            for procedure_id, column, carc, cents in rows.all():  # many small rows: one fetch
                sums[procedure_id][(columns[column], carc)] = cents
        names, locked = _COLUMN_NAMES, self._locked
        for pid, amounts in sums.items():
            if pid in locked:
                self._balance_rows[pid] = {(names[column], carc) for column, carc in amounts}
        return {pid: Balance.of(amounts) for pid, amounts in sums.items()}

    def balance(self, procedure_id: int) -> Balance:
        return self.balances([procedure_id])[procedure_id]

    def procedures_with_balances(self, owner: str, owner_id: int) -> list[tuple[Row[Any], Balance]]:
        """The procedures whose ``owner`` column (``id``, ``encounter_id``, ``patient_id``) is
        ``owner_id``, oldest first, each with its balance: what a screen shows, in one round
        trip instead of two (procedures, then their balances)."""
        rows = self.connection.execute(
            _procedures_with_balances(owner), {"org": self.organisation_id, "owner": owner_id}
        ).all()
        return [(row, _balance_of_text(row.balance_text)) for row in rows]

    def patient_rows(self, patient_id: int) -> PatientRows:
        """A patient with every encounter and procedure and their balances, in one round trip
        (``_PATIENT_ACCOUNT``) instead of three (patient, encounters, procedures)."""
        rows = self.connection.execute(
            _PATIENT_ACCOUNT, {"org": self.organisation_id, "patient": patient_id}
        ).all()
        if not rows:
            raise NotFound("patient", patient_id)
        patient_record, encounter_record, procedure_record = (
            record_of(patients), record_of(encounters), record_of(procedures)
        )  # fmt: skip
        first, second = len(patients.c), len(patients.c) + len(encounters.c)
        third = second + len(procedures.c)
        found = PatientRows(patient_record(*rows[0][:first]), [], [])
        for row in rows:
            if row[first] is None:
                continue  # no encounters
            if not found.encounters or found.encounters[-1].id != row[first]:
                found.encounters.append(encounter_record(*row[first:second]))
            if row[second] is not None:
                procedure = procedure_record(*row[second:third])
                found.procedures.append((procedure, _balance_of_text(row[third])))
        return found

    # -- posting ----------------------------------------------------------------------------
    def find_by_key(self, idempotency_key: str) -> Row[Any] | None:
        return self.connection.execute(
            _BY_KEY, {"org": self.organisation_id, "key": idempotency_key}
        ).first()

    def post(
        self,
        header: TransactionHeader,
        entries: Sequence[Entry],
        created_at: datetime | None = None,
    ) -> int:
        """Write one transaction and its entries, and add them to the materialised balances.

        A transaction may have no entries: a payer's $0 decision (a denial with no adjustments)
        is still a posted remittance.
        """
        transaction_id = self.open_transaction(header, created_at)
        self.add_entries(transaction_id, entries)
        return transaction_id

    def post_many(self, postings: Sequence[tuple[TransactionHeader, Sequence[Entry]]]) -> list[int]:
        """``post`` of many transactions in a few statements (their rows in one INSERT, all
        their entries in one, the balances once): an 837 import's charge transaction per claim.
        Their ids, in order."""
        if not postings:
            return []
        created = now()
        ids = allocate_ids(self.connection, ledger_transactions, len(postings))
        rows = [
            {"id": transaction_id, "organisation_id": self.organisation_id,
             "created_at": created, **_fields(header)}
            for transaction_id, (header, _) in zip(ids, postings, strict=True)
        ]  # fmt: skip
        self.connection.execute(insert(ledger_transactions), rows)  # executemany (claim_store)
        self._write_entries([(i, own) for i, (_, own) in zip(ids, postings, strict=True)])
        return ids

    def open_transaction(
        self, header: TransactionHeader, created_at: datetime | None = None
    ) -> int:
        """Write a transaction's row (stamped now, or at ``created_at``); its entries follow with
        ``add_entries`` (an import adds them batch by batch, in the same database transaction)."""
        values = {
            "organisation_id": self.organisation_id,
            "created_at": created_at or now(),
            **_fields(header),
        }
        return int(self.connection.execute(_OPEN_TRANSACTION, values).scalar_one())

    def add_entries(self, transaction_id: int, entries: Sequence[Entry]) -> None:
        """Append entries to a transaction and add them to the materialised balances."""
        self._write_entries([(transaction_id, entries)])

    def _write_entries(self, postings: Sequence[tuple[int, Sequence[Entry]]]) -> None:
        """Each transaction's entries (one INSERT for all), then the balances and open PR."""
        entries = [entry for _, own in postings for entry in own]
        if not entries:
            return
        names = _COLUMN_NAMES
        insert_rows(
            self.connection,
            ledger_entries,
            _ENTRY_COLUMNS,
            [
                (self.organisation_id, transaction_id, e.procedure_id, names[e.column], e.carc,
                 e.amount_cents, e.payment_id)
                for transaction_id, own in postings
                for e in own
            ],
        )  # fmt: skip
        self._add_to_balances(entries)
        self._add_to_open_pr(entries)

    def _add_to_balances(self, entries: Sequence[Entry]) -> None:
        """Add entries to the materialised rows: UPDATE the keys that may exist (the UPDATE
        answers which), INSERT the others.

        A key of a procedure whose balance this unit of work read while holding its lock, and
        which was not among its rows, cannot exist: it is inserted without the UPDATE (an
        import's new payer, CO and PR rows: 30,000 keys per 10,000 lines that the UPDATE looked
        up in vain). Were it there after all, the INSERT would fail on the primary key: never a
        lost delta. A key believed to exist still goes through the UPDATE, which says if it did.

        (Not an upsert: the CHECK on a new row would see the bare delta, e.g. −15.00 of PR.)
        """
        sums: dict[tuple[int, str, str], int] = defaultdict(int)
        names = _COLUMN_NAMES
        for e in entries:
            sums[(e.procedure_id, names[e.column], e.carc)] += e.amount_cents
        ordered = sorted((key, cents) for key, cents in sums.items() if cents)
        known, org = self._balance_rows, self.organisation_id
        new: list[tuple[int, int, str, str, int]] = []
        maybe: list[tuple[int, str, str, int]] = []
        for (pid, column, carc), cents in ordered:
            rows = known.get(pid)
            if rows is None or (column, carc) in rows:
                maybe.append((pid, column, carc, cents))
            else:
                rows.add((column, carc))
                new.append((pid, org, column, carc, cents))
        existing = add_to_rows(
            self.connection, procedure_balances, _BALANCE_KEY, "amount_cents", maybe
        )
        for pid, column, carc, cents in maybe:
            if (pid, column, carc) not in existing:
                new.append((pid, org, column, carc, cents))
                if pid in known:
                    known[pid].add((column, carc))
        insert_rows(self.connection, procedure_balances, _BALANCE_COLUMNS, new)
        self._locked.clear()  # a later write takes the UPDATE unless it locks and reads again
        known.clear()

    def _add_to_open_pr(self, entries: Sequence[Entry]) -> None:
        """Keep each patient's open PR with the balances: PR adds to it, patient money applied
        to a PR CARC takes from it, a refund of that money adds back (``Balance.open_pr``)."""
        deltas: dict[int, int] = defaultdict(int)
        for e in entries:
            sign = _OPEN_PR_SIGNS.get(e.column)
            if sign and e.carc:
                deltas[e.procedure_id] += sign * e.amount_cents
        moved = sorted((pid, cents) for pid, cents in deltas.items() if cents)
        if not moved:
            return
        if self._dialect == "postgresql":
            self.connection.execute(
                _open_pr_upsert_by_patient(),
                {
                    "procedures": [pid for pid, _ in moved],
                    "deltas": [cents for _, cents in moved],
                    "organisation": self.organisation_id,
                },
            )
            return
        self.connection.execute(
            _open_pr_upsert(self._dialect),
            [
                {"procedure": pid, "delta": cents, "organisation": self.organisation_id}
                for pid, cents in moved
            ],
        )

    def patients_owing_most(self, limit: int) -> list[int]:
        """Patients with open PR, most first (ties by id): an index range, whatever the size."""
        stored = patient_open_pr.c
        return list(
            self.connection.execute(
                select(stored.patient_id)
                .where(stored.organisation_id == self.organisation_id, stored.open_pr_cents > 0)
                .order_by(stored.open_pr_cents.desc(), stored.patient_id)
                .limit(limit)
            ).scalars()
        )

    def open_pr_differences(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(patient, stored open PR, open PR by the procedure balances) wherever they differ, for
        the patients with ids first..last (two index range reads, compared here: a full outer
        join of the two would be quadratic on SQLite)."""
        stored = patient_open_pr.c
        computed = self._open_pr_by_patient(procedures.c.patient_id.between(first, last))
        want = {int(p): int(c) for p, c in self.connection.execute(select(computed))}
        have = {
            int(p): int(c)
            for p, c in self.connection.execute(
                select(stored.patient_id, stored.open_pr_cents).where(
                    stored.organisation_id == self.organisation_id,
                    stored.patient_id.between(first, last),
                )
            )
        }
        return [
            (patient, have.get(patient, 0), want.get(patient, 0))
            for patient in sorted(have.keys() | want.keys())
            if have.get(patient, 0) != want.get(patient, 0)
        ]

    def rebuild_open_pr(self) -> None:
        """Recompute every patient's open PR from the procedure balances (after rows were loaded
        around ``add_entries``, as a bulk load does)."""
        self.connection.execute(
            delete(patient_open_pr).where(patient_open_pr.c.organisation_id == self.organisation_id)
        )
        computed = self._open_pr_by_patient()
        self.connection.execute(
            insert(patient_open_pr).from_select(
                ["patient_id", "organisation_id", "open_pr_cents"],
                select(computed.c.patient_id, literal(self.organisation_id), computed.c.cents),
            )
        )

    def _open_pr_by_patient(self, *conditions: Any) -> Subquery:
        """Open PR per patient by the procedure balances (the SQL of ``_OPEN_PR_SIGNS``)."""
        sums, listed = procedure_balances.c, procedures.c
        return (
            select(listed.patient_id, func.sum(owed_by_patient()).label("cents"))
            .join(procedure_balances, sums.procedure_id == listed.id)
            .where(
                listed.organisation_id == self.organisation_id,
                sums.column.in_([column.value for column in _OPEN_PR_SIGNS]),
                sums.carc != "",
                *conditions,
            )
            .group_by(listed.patient_id)
            .subquery()
        )

    # -- reading the journal ------------------------------------------------------------------
    def transaction(self, transaction_id: int) -> Row[Any]:
        row = self.connection.execute(
            select(ledger_transactions).where(
                ledger_transactions.c.organisation_id == self.organisation_id,
                ledger_transactions.c.id == transaction_id,
            )
        ).first()
        if row is None:
            raise NotFound("transaction", transaction_id)
        return row

    def entries(self, transaction_ids: Iterable[int]) -> dict[int, list[Entry]]:
        wanted = list(transaction_ids)
        result: dict[int, list[Entry]] = {tid: [] for tid in wanted}
        rows = self.connection.execute(
            select(ledger_entries)
            .where(
                ledger_entries.c.organisation_id == self.organisation_id,
                ledger_entries.c.transaction_id.in_(wanted),
            )
            .order_by(ledger_entries.c.id)
        )
        for row in rows:
            result[row.transaction_id].append(_entry(row))
        return result

    def reversals_of(self, transaction_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(ledger_transactions)
                .where(
                    ledger_transactions.c.organisation_id == self.organisation_id,
                    ledger_transactions.c.reverts_id == transaction_id,
                )
                .order_by(ledger_transactions.c.id)
            )
        )

    def posted(self, transaction_id: int) -> Posted:
        """A transaction with the entries of every reversal already made against it."""
        row = self.transaction(transaction_id)
        reversal_ids = [r.id for r in self.reversals_of(transaction_id)]
        entries = self.entries([transaction_id, *reversal_ids])
        return Posted(
            TransactionKind(row.kind),
            tuple(entries[transaction_id]),
            tuple(e for rid in reversal_ids for e in entries[rid]),
        )

    def procedures_of_transaction(self, transaction_id: int) -> list[int]:
        rows = self.connection.execute(
            select(ledger_entries.c.procedure_id)
            .where(
                ledger_entries.c.organisation_id == self.organisation_id,
                ledger_entries.c.transaction_id == transaction_id,
            )
            .distinct()
        )
        return sorted(row.procedure_id for row in rows)

    def payment_holdings(self, payment_id: int) -> dict[tuple[int, str], int]:
        """What a payment holds now, per (procedure, CARC): paid − refunded ("" is credit)."""
        held = self._patient_money(ledger_entries.c.payment_id == payment_id)
        return {(pid, carc): cents for (_, pid, carc), cents in held.items()}

    def holdings_of_payments(self, payment_ids: Sequence[int]) -> dict[tuple[int, int, str], int]:
        """What each payment holds now per (payment, procedure, CARC)."""
        if not payment_ids:
            return {}
        return self._patient_money(ledger_entries.c.payment_id.in_(payment_ids))

    def transactions_of_payments(self, payment_ids: Sequence[int]) -> list[int]:
        """The transactions (reversals aside) that moved any of these payments' money."""
        if not payment_ids:
            return []
        rows = self.connection.execute(
            select(ledger_transactions.c.id)
            .join(ledger_entries, ledger_entries.c.transaction_id == ledger_transactions.c.id)
            .where(
                ledger_transactions.c.organisation_id == self.organisation_id,
                ledger_transactions.c.kind != TransactionKind.REVERSAL,
                ledger_entries.c.payment_id.in_(payment_ids),
            )
            .distinct()
        )
        return sorted(row.id for row in rows)

    def holdings_on_procedures(
        self, procedure_ids: Iterable[int]
    ) -> dict[int, dict[int, dict[str, int]]]:
        """Per procedure, what each payment holds on it per CARC, in one query; procedures that
        hold no patient money are absent."""
        result: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for part in chunks(procedure_ids):
            money = self._patient_money(
                one_of(ledger_entries.c.procedure_id, self._dialect, "procedure_ids", part)
            )
            for (payment_id, procedure_id, carc), cents in money.items():
                result[procedure_id][payment_id][carc] = cents
        return {pid: dict(held) for pid, held in result.items()}

    def _patient_money(self, condition: Any) -> dict[tuple[int, int, str], int]:
        """Patient money per (payment, procedure, CARC): paid − refunded, zero sums dropped."""
        entries = ledger_entries.c
        sums: dict[tuple[int, int, str], int] = defaultdict(int)
        rows = self.connection.execute(
            select(entries.payment_id, entries.procedure_id, entries.column, entries.carc,
                   func.sum(entries.amount_cents).label("cents"))
            .where(entries.organisation_id == self.organisation_id,
                   entries.payment_id.is_not(None), condition)
            .group_by(entries.payment_id, entries.procedure_id, entries.column, entries.carc)
        )  # fmt: skip
        for row in rows:
            sign = 1 if row.column == Column.PATIENT_PAID else -1
            sums[(row.payment_id, row.procedure_id, row.carc)] += sign * int(row.cents)
        return {key: cents for key, cents in sums.items() if cents}

    def pr_source(self, procedure_id: int, excluding_transaction: int | None = None) -> str:
        """Where the procedure's PR comes from, by the journal: "remittance" if an adjudication
        stands unreversed, else "estimate" if an estimate does, else "none"."""
        return self.pr_sources([procedure_id], excluding_transaction).get(procedure_id, "none")

    def pr_sources(
        self, procedure_ids: list[int] | None = None, excluding_transaction: int | None = None
    ) -> dict[int, str]:
        """``pr_source`` for many procedures (all of the organisation's when None) in one query."""
        conditions: list[ColumnElement[bool]] = []
        if procedure_ids is not None:
            conditions.append(ledger_entries.c.procedure_id.in_(procedure_ids))
        if excluding_transaction is not None:
            conditions.append(ledger_transactions.c.id != excluding_transaction)
        standing = self._standing_pr_source(*conditions)
        rows = self.connection.execute(select(standing.c.procedure_id, standing.c.source))
        return {row.procedure_id: row.source for row in rows}

    def _standing_pr_source(self, *conditions: Any) -> Subquery:
        """Per procedure with one, the strongest unreversed transaction that assigned its PR:
        "remittance" (an adjudication) over "estimate"; procedures with neither are absent.

        Scoped by the entries' organisation (always their transaction's), not the transactions':
        SQLite, which has no statistics, would otherwise start from every transaction of the
        organisation (by the index that leads with it) even when ``conditions`` name a few
        procedures, and ``verify`` would read the whole journal once per range of procedures."""
        transactions, entries = ledger_transactions.c, ledger_entries.c
        reversal = ledger_transactions.alias("reversal")
        strongest = func.max(case((transactions.kind == TransactionKind.ADJUDICATION, 2), else_=1))
        ranked = (
            select(entries.procedure_id, strongest.label("rank"))
            .join(ledger_transactions, entries.transaction_id == transactions.id)
            .where(
                entries.organisation_id == self.organisation_id,
                transactions.kind.in_([TransactionKind.ADJUDICATION, TransactionKind.ESTIMATE]),
                ~select(reversal.c.id).where(reversal.c.reverts_id == transactions.id).exists(),
                *conditions,
            )
            .group_by(entries.procedure_id)
            .subquery()
        )
        source = case((ranked.c.rank == 2, "remittance"), else_="estimate")
        return select(ranked.c.procedure_id, source.label("source")).subquery()

    # -- verification -----------------------------------------------------------------------
    def recompute(self) -> dict[tuple[int, str, str], int]:
        """Every (procedure, column, CARC) sum, straight from the journal."""
        rows = self.connection.execute(
            select(
                ledger_entries.c.procedure_id,
                ledger_entries.c.column,
                ledger_entries.c.carc,
                func.sum(ledger_entries.c.amount_cents).label("cents"),
            )
            .where(ledger_entries.c.organisation_id == self.organisation_id)
            .group_by(ledger_entries.c.procedure_id, ledger_entries.c.column, ledger_entries.c.carc)
        )
        return {(r.procedure_id, r.column, r.carc): int(r.cents) for r in rows if int(r.cents)}

    def materialised(self) -> dict[tuple[int, str, str], int]:
        rows = self.connection.execute(
            select(procedure_balances).where(
                procedure_balances.c.organisation_id == self.organisation_id
            )
        )
        return {(r.procedure_id, r.column, r.carc): r.amount_cents for r in rows if r.amount_cents}

    def procedure_ranges(self, size: int) -> Iterator[tuple[int, int, int]]:
        """The organisation's procedures as consecutive id ranges of at most ``size`` of them:
        (first id, last id, how many), so ``verify`` holds one range's rows at a time."""
        return self._ranges(procedures, size)

    def patient_ranges(self, size: int) -> Iterator[tuple[int, int, int]]:
        """``procedure_ranges`` for the organisation's patients."""
        return self._ranges(patients, size)

    def _ranges(self, table: Table, size: int) -> Iterator[tuple[int, int, int]]:
        after = 0
        while True:
            found = list(
                self.connection.execute(
                    select(table.c.id)
                    .where(table.c.organisation_id == self.organisation_id, table.c.id > after)
                    .order_by(table.c.id)
                    .limit(size)
                ).scalars()
            )
            if not found:
                return
            yield found[0], found[-1], len(found)
            after = found[-1]

    def journal_differences(self, first: int, last: int) -> list[tuple[int, str, str, int, int]]:
        """(procedure, column, CARC, journal sum, materialised) wherever the two differ, for the
        procedures with ids first..last: one query, which returns only the differences."""
        entries, stored = ledger_entries.c, procedure_balances.c
        both = union_all(
            select(entries.procedure_id, entries.column, entries.carc,
                   entries.amount_cents.label("journal"), literal(0, BigInteger).label("stored"))
            .where(entries.organisation_id == self.organisation_id,
                   entries.procedure_id.between(first, last)),
            select(stored.procedure_id, stored.column, stored.carc,
                   literal(0, BigInteger), stored.amount_cents)
            .where(stored.organisation_id == self.organisation_id,
                   stored.procedure_id.between(first, last)),
        ).subquery()  # fmt: skip
        key = (both.c.procedure_id, both.c.column, both.c.carc)
        journal, materialised = func.sum(both.c.journal), func.sum(both.c.stored)
        rows = self.connection.execute(
            select(*key, journal.label("journal"), materialised.label("materialised"))
            .group_by(*key)
            .having(journal != materialised)
            .order_by(*key)
        )
        return [
            (r.procedure_id, r.column, r.carc, int(r.journal), int(r.materialised)) for r in rows
        ]

    def negative_holdings(self, first: int, last: int) -> list[tuple[int, int, str, int]]:
        """(payment, procedure, CARC, cents) wherever a payment holds less than nothing (paid −
        refunded below zero) on a procedure with id first..last: one query, which returns only
        those."""
        entries = ledger_entries.c
        held = func.sum(
            case((entries.column == Column.PATIENT_PAID.value, entries.amount_cents),
                 else_=-entries.amount_cents)
        )  # fmt: skip
        rows = self.connection.execute(
            select(entries.payment_id, entries.procedure_id, entries.carc, held.label("cents"))
            .where(
                entries.organisation_id == self.organisation_id,
                entries.payment_id.is_not(None),
                entries.column.in_([Column.PATIENT_PAID.value, Column.REFUNDED.value]),
                entries.procedure_id.between(first, last),
            )
            .group_by(entries.payment_id, entries.procedure_id, entries.carc)
            .having(held < 0)
            .order_by(entries.procedure_id, entries.payment_id, entries.carc)
        )
        return [(r.payment_id, r.procedure_id, r.carc, int(r.cents)) for r in rows]

    def materialised_balances(self, first: int, last: int) -> dict[int, Balance]:
        """The materialised balance of every procedure with ids first..last that has one."""
        stored = procedure_balances.c
        rows = self.connection.execute(
            select(stored.procedure_id, stored.column, stored.carc, stored.amount_cents).where(
                stored.organisation_id == self.organisation_id,
                stored.procedure_id.between(first, last),
            )
        )
        sums: dict[int, dict[tuple[Column, str], int]] = defaultdict(dict)
        columns = _COLUMNS
        for procedure_id, column, carc, cents in rows.all():  # one fetch: rows are many and small
            sums[procedure_id][(columns[column], carc)] = cents
        return {pid: Balance.of(amounts) for pid, amounts in sums.items()}

    def pr_source_mismatches(self, first: int, last: int) -> list[tuple[int, str, str]]:
        """(procedure, stored PR source, the journal's) wherever they differ, for the procedures
        with ids first..last."""
        standing = self._standing_pr_source(ledger_entries.c.procedure_id.between(first, last))
        journal = func.coalesce(standing.c.source, "none")
        rows = self.connection.execute(
            select(procedures.c.id, procedures.c.pr_source, journal.label("journal"))
            .outerjoin(standing, standing.c.procedure_id == procedures.c.id)
            .where(
                procedures.c.organisation_id == self.organisation_id,
                procedures.c.id.between(first, last),
                procedures.c.pr_source != journal,
            )
            .order_by(procedures.c.id)
        )
        return [(row.id, row.pr_source, row.journal) for row in rows]


_COLUMNS = {column.value: column for column in Column}
#: Each column's stored name: a dict lookup, cheaper than ``.value`` on an enum member (an
#: import reads it twice per entry).
_COLUMN_NAMES = {column: column.value for column in Column}
_BALANCE_KEY = ("procedure_id", "column", "carc")
_BALANCE_COLUMNS = ("procedure_id", "organisation_id", "column", "carc", "amount_cents")
_ENTRY_COLUMNS = (
    "organisation_id",
    "transaction_id",
    "procedure_id",
    "column",
    "carc",
    "amount_cents",
    "payment_id",
)


def _entry(row: Row[Any]) -> Entry:
    return Entry(row.procedure_id, Column(row.column), row.carc, row.amount_cents, row.payment_id)


def _fields(header: TransactionHeader) -> dict[str, Any]:
    return {**values(header, TransactionHeader), "kind": header.kind.value}


def header_of(row: Row[Any]) -> TransactionHeader:
    """The header of a journal row (``ledger_transactions``; other columns of the row, such as
    a joined user's name, are left out)."""
    stored = {name: row._mapping[name] for name in field_names(TransactionHeader)}
    return TransactionHeader(**{**stored, "kind": TransactionKind(stored["kind"])})
