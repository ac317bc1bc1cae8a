"""Import a practice's patients, visits and charges from a CSV export (docs/csv-import.md).

Two passes. The first reads every row and checks every value (each column as a front-desk
screen would: ``domain.registration``, ``domain.bounds``, ``domain.money``) and collects each
problem as (row, column, problem). The second, only when the first found none, registers in one
database transaction and may still find problems only the database can tell (an MRN that is
another person's, a visit id registered with other charges): those are collected the same way
and roll everything back. So a file is imported whole or not at all, and a refused file's report
names every row that is wrong, not only the first.

Patients are matched like the 837 import's (member id + birth date + name, then the MRN given);
rows with the same ``visit_id`` are one visit (without one: the same patient and date of
service), charged in one ``charge`` transaction. A visit registered before with the same charges
is left as it is, so the same file imported again registers nothing twice.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any

from medledger.domain.bounds import parse_day
from medledger.domain.errors import LedgerError
from medledger.domain.money import to_cents
from medledger.domain.registration import (
    PatientDetails,
    check_modifiers,
    check_order,
    check_text,
    check_units,
)
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.claim_import import find_or_add_patient
from medledger.services.file_input import Source, name_of, opened
from medledger.services.posting import fingerprint
from medledger.services.registration import (
    CoverageInput,
    ProcedureInput,
    VisitDetails,
    add_visit_rows,
    checked_line,
    cover,
    new_control_number,
    today,
)
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory
from medledger.x12.claim_records import ClaimPatient

PATIENT_COLUMNS = (
    "mrn", "last_name", "first_name", "birth_date", "sex", "member_id", "address_line1",
    "address_line2", "city", "state", "postal_code", "payer_code", "payer_name", "coverage_order",
)  # fmt: skip
VISIT_COLUMNS = (
    "visit_id", "date_of_service", "place_of_service", "rendering_provider", "diagnosis_codes",
)  # fmt: skip
CHARGE_COLUMNS = (
    "procedure_code", "modifiers", "units", "charge", "line_item_control_number", "line_date",
)  # fmt: skip
COLUMNS = PATIENT_COLUMNS + VISIT_COLUMNS + CHARGE_COLUMNS
#: A refused file's report lists this many problems at most (and says how many more).
MAX_REPORTED = 200
_LIST = re.compile(r"[\s,;:]+")


@dataclass(frozen=True, slots=True)
class RowError:
    """row: the row number as a spreadsheet shows it (the header is row 1); column: the
    column's name ("" for the row as a whole); problem: what is wrong, in a sentence."""

    row: int
    column: str
    problem: str


class CsvRefused(LedgerError):
    """Some row is wrong: nothing of the file is imported; ``errors`` lists every problem."""

    code = "csv-refused"


@dataclass
class CsvImportSummary:
    """What an import did (in a dry run, would have done): rows read; patients registered and
    found registered; visits registered, and left as they were (registered before with the same
    charges); charge lines and their total in cents."""

    file_name: str
    dry_run: bool = False
    rows: int = 0
    patients_added: int = 0
    patients_matched: int = 0
    visits: int = 0
    visits_unchanged: int = 0
    lines: int = 0
    charge_cents: int = 0


@dataclass
class _Row:
    """One row's values, checked."""

    number: int
    mrn: str | None
    patient: ClaimPatient
    coverage: tuple[str, str, str | None] | None  # payer code, order, payer name
    visit_id: str | None = None
    date_of_service: date | None = None
    details: VisitDetails = field(default_factory=VisitDetails)
    line: ProcedureInput | None = None


@dataclass
class _Visit:
    rows: list[_Row] = field(default_factory=list)


class _Checker:
    """Collects the problems of one row, column by column."""

    def __init__(self, number: int, errors: list[RowError]) -> None:
        self.number = number
        self.errors = errors

    def check(self, column: str, read: Any) -> Any:
        """``read()``'s value, or None with its refusal recorded against ``column``."""
        try:
            return read()
        except LedgerError as error:
            self.errors.append(RowError(self.number, column, error.message))
            return None


def import_csv(
    database: UnitOfWorkFactory,
    actor: Actor,
    source: Source,
    *,
    file_name: str | None = None,
    dry_run: bool = False,
) -> CsvImportSummary:
    """Import one CSV file (a path, or a text or binary stream); see the module docstring."""
    authorize(actor, "register")
    name = name_of(source, file_name, "CSV")
    summary = CsvImportSummary(name, dry_run)
    errors: list[RowError] = []
    with opened(source, None) as raw:
        rows = list(_read(raw, errors))
    summary.rows = len(rows)
    if not rows and not errors:
        errors.append(RowError(2, "", "the file holds no rows"))
    _refuse_if(errors, name)
    with database.unit_of_work(actor.organisation_id) as uow:
        _register(uow, actor, rows, summary, errors)
        _refuse_if(errors, name)
        if not dry_run:
            uow.commit()
    return summary


def _refuse_if(errors: list[RowError], name: str) -> None:
    if not errors:
        return
    shown = errors[:MAX_REPORTED]
    more = f" (the first {MAX_REPORTED} are listed)" if len(errors) > MAX_REPORTED else ""
    first = shown[0]
    raise CsvRefused(
        f"{name}: {len(errors)} problem(s){more}, nothing imported; first: row {first.row}"
        + (f", column {first.column}" if first.column else "")
        + f": {first.problem}",
        errors=[{"row": e.row, "column": e.column, "problem": e.problem} for e in shown],
    )


# -- first pass: every value checked ------------------------------------------------------------
def _read(raw: IO[Any], errors: list[RowError]) -> Iterator[_Row]:
    content = raw.read()
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError as error:
        errors.append(RowError(0, "", f"the file is not UTF-8 text (byte {error.start})"))
        return
    try:
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        header = [name.strip().lower() for name in next(reader, [])]
        if not _header_ok(header, errors):
            return
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                errors.append(
                    RowError(number, "", f"{len(values)} values for {len(header)} columns")
                )
                continue
            row = _row(number, dict(zip(header, (v.strip() for v in values), strict=True)), errors)
            if row is not None:
                yield row
    except csv.Error as error:
        errors.append(RowError(0, "", f"the file is not CSV: {error}"[:200]))


def _header_ok(header: list[str], errors: list[RowError]) -> bool:
    before = len(errors)
    for name in header:
        if name not in COLUMNS:
            errors.append(RowError(1, name[:40], "unknown column (see docs/csv-import.md)"))
    if len(set(header)) != len(header):
        errors.append(RowError(1, "", "a column is named twice"))
    if "last_name" not in header:
        errors.append(RowError(1, "last_name", "the column is required"))
    return len(errors) == before


def _row(number: int, values: dict[str, str], errors: list[RowError]) -> _Row | None:
    before = len(errors)
    check = _Checker(number, errors).check
    given = {name: value for name, value in values.items() if value}
    detail: dict[str, Any] = {}
    for name in ("last_name", "first_name", "sex", "member_id", "address_line1",
                 "address_line2", "city", "state", "postal_code"):  # fmt: skip
        if name in given:
            one = check(name, lambda n=name: _one_detail(n, given[n]))
            detail[name] = None if one is None else getattr(one, name)
    if "last_name" not in given:
        errors.append(RowError(number, "last_name", "last name is required"))
    if "birth_date" in given:
        born = check("birth_date", lambda: parse_day(given["birth_date"], "birth_date"))
        detail["birth_date"] = born and check(
            "birth_date", lambda: PatientDetails(birth_date=born).checked(today()).birth_date
        )
    mrn = check("mrn", lambda: check_text(given["mrn"], "mrn")) if "mrn" in given else None
    coverage = _coverage(given, check, number, errors)
    row = _Row(number, mrn, _patient(detail), coverage)
    if any(name in given for name in VISIT_COLUMNS + CHARGE_COLUMNS):
        _charge(row, given, check, errors)
    return row if len(errors) == before else None


def _one_detail(name: str, value: str) -> PatientDetails:
    """One column checked as the registration screen checks it."""
    values: dict[str, Any] = {name: value}
    return replace(PatientDetails(), **values).checked(today())


def _patient(detail: dict[str, Any]) -> ClaimPatient:
    return ClaimPatient(
        detail.get("last_name") or "", detail.get("first_name") or "", detail.get("birth_date"),
        detail.get("sex"), detail.get("member_id"), detail.get("address_line1"),
        detail.get("address_line2"), detail.get("city"), detail.get("state"),
        detail.get("postal_code"),
    )  # fmt: skip


def _coverage(
    given: dict[str, str], check: Any, number: int, errors: list[RowError]
) -> tuple[str, str, str | None] | None:
    if "payer_code" not in given:
        for name in ("payer_name", "coverage_order"):
            if name in given:
                errors.append(RowError(number, name, "needs a payer_code"))
        return None
    code = check("payer_code", lambda: check_text(given["payer_code"], "payer_code"))
    order = check("coverage_order", lambda: check_order(given.get("coverage_order", "primary")))
    payer_name = given.get("payer_name")
    if payer_name is not None:
        payer_name = check("payer_name", lambda: check_text(payer_name, "payer_name"))
    return (code, order, payer_name) if code and order else None


def _charge(row: _Row, given: dict[str, str], check: Any, errors: list[RowError]) -> None:
    """A row with a visit: its date, details and one charge line."""
    number = row.number
    for name in ("date_of_service", "procedure_code", "charge"):
        if name not in given:
            errors.append(RowError(number, name, "required on a row with a visit or charge"))
    if "date_of_service" in given:
        row.date_of_service = check(
            "date_of_service", lambda: parse_day(given["date_of_service"], "date_of_service")
        )
    if "visit_id" in given:
        row.visit_id = check(
            "visit_id", lambda: check_text(given["visit_id"], "patient_control_number")
        )
    details = VisitDetails(
        given.get("place_of_service"), given.get("rendering_provider"),
        tuple(_LIST.split(given.get("diagnosis_codes", ""))),
    )  # fmt: skip
    for name in ("place_of_service", "rendering_provider", "diagnosis_codes"):
        if name in given:
            check(name, details.columns)
    row.details = details
    if "procedure_code" not in given or "charge" not in given:
        return
    code = check(
        "procedure_code", lambda: check_text(given["procedure_code"], "code", required=True)
    )
    modifiers = check(
        "modifiers", lambda: check_modifiers(tuple(_LIST.split(given.get("modifiers", ""))))
    )
    units = check("units", lambda: check_units(_whole(given.get("units", "1"))))
    control = given.get("line_item_control_number")
    if control is not None:
        control = check(
            "line_item_control_number", lambda: check_text(control, "line_item_control_number")
        )
    line_date = given.get("line_date")
    if line_date is not None:
        line_date = check("line_date", lambda: parse_day(line_date, "line_date"))
    cents = check("charge", lambda: to_cents(given["charge"]))
    if cents is not None and cents < 0:
        errors.append(RowError(number, "charge", "a charge cannot be negative"))
    if None not in (code, modifiers, units, cents):
        row.line = checked_line(
            ProcedureInput(code, given["charge"], modifiers, units, control, line_date)
        )


def _whole(text: str) -> int:
    """Units as written: ASCII digits (anything else is 0, which ``check_units`` refuses)."""
    return int(text[:5]) if text.isascii() and text.isdigit() else 0


# -- second pass: registering --------------------------------------------------------------------
def _register(
    uow: UnitOfWork,
    actor: Actor,
    rows: list[_Row],
    summary: CsvImportSummary,
    errors: list[RowError],
) -> None:
    patients: dict[int, int] = {}  # row number -> patient id
    known: dict[Any, int] = {}
    for row in rows:
        patient_id = _patient_of(uow, actor, row, known, summary, errors)
        if patient_id is not None:
            patients[row.number] = patient_id
            if row.coverage is not None:
                _cover(uow, actor, patient_id, row)
    if errors:
        return
    for visit in _visits(rows, patients, errors).values():
        _add_visit(uow, actor, visit, patients, summary, errors)


def _patient_of(
    uow: UnitOfWork,
    actor: Actor,
    row: _Row,
    known: dict[Any, int],
    summary: CsvImportSummary,
    errors: list[RowError],
) -> int | None:
    """The row's patient: found by member id, birth date and name (as the 837 import finds
    them), else by the MRN given (which must then name the same person), else registered."""
    patient = row.patient
    if row.mrn is not None:
        existing = uow.registry.find_patient(row.mrn)
        same = existing is not None and (
            existing.last_name.upper() == patient.last_name.upper()
            and (patient.birth_date is None or existing.birth_date == patient.birth_date)
        )
        if existing is not None and not same:
            errors.append(
                RowError(row.number, "mrn", f"MRN {row.mrn} is registered to another patient")
            )
            return None
        if existing is not None:
            return int(existing.id)
    patient_id, added = find_or_add_patient(uow, patient, known, actor, mrn=row.mrn)
    if added:
        summary.patients_added += 1
    elif added is False:
        summary.patients_matched += 1
    return patient_id


def _cover(uow: UnitOfWork, actor: Actor, patient_id: int, row: _Row) -> None:
    assert row.coverage is not None
    code, order, payer_name = row.coverage
    coverage = CoverageInput(code, order, None, payer_name)
    cover(uow, actor, patient_id, row.patient.member_id, [coverage])


def _visits(
    rows: list[_Row], patients: dict[int, int], errors: list[RowError]
) -> dict[Any, _Visit]:
    """Charge rows grouped into visits: by visit id, else by patient and date of service. The
    rows of one visit must agree on its patient and date."""
    visits: dict[Any, _Visit] = {}
    for row in rows:
        if row.line is None:
            continue
        patient_id = patients[row.number]
        key = row.visit_id or (patient_id, row.date_of_service)
        visit = visits.setdefault(key, _Visit())
        if visit.rows:
            first = visit.rows[0]
            if patients[first.number] != patient_id:
                errors.append(
                    RowError(
                        row.number,
                        "visit_id",
                        f"row {first.number} has this visit for another patient",
                    )
                )
            elif first.date_of_service != row.date_of_service:
                errors.append(
                    RowError(
                        row.number,
                        "date_of_service",
                        f"row {first.number} gives this visit another date",
                    )
                )
        visit.rows.append(row)
    return visits


def _add_visit(
    uow: UnitOfWork,
    actor: Actor,
    visit: _Visit,
    patients: dict[int, int],
    summary: CsvImportSummary,
    errors: list[RowError],
) -> None:
    first = visit.rows[0]
    patient_id = patients[first.number]
    lines = [row.line for row in visit.rows if row.line is not None]
    charges = [to_cents(line.charge) for line in lines]
    if first.visit_id is not None:
        existing = uow.registry.encounter_by_control_number(first.visit_id)
        if existing is not None:
            standing = sorted(
                (p.code, p.charge_cents) for p in uow.claims.standing_procedures(existing.id)
            )
            wanted = sorted((line.code, cents) for line, cents in zip(lines, charges, strict=True))
            if existing.patient_id == patient_id and standing == wanted:
                summary.visits_unchanged += 1
                return
            errors.append(
                RowError(
                    first.number,
                    "visit_id",
                    f"visit {first.visit_id} is registered already with other charges",
                )
            )
            return
    if not any(charges):
        errors.append(
            RowError(first.number, "charge", "a visit needs at least one charge above zero")
        )
        return
    assert first.date_of_service is not None
    payer_id = None
    if first.coverage is not None:
        payer = uow.registry.payer_by_code(first.coverage[0])
        payer_id = None if payer is None else int(payer.id)
    encounter_id, entries = add_visit_rows(
        uow, actor, patient_id, first.visit_id or new_control_number(), first.date_of_service, lines,
        charges, payer_id, first.details.columns(),
    )  # fmt: skip
    uow.ledger.post(
        TransactionHeader(
            kind=TransactionKind.CHARGE,
            user_id=actor.user_id,
            source=actor.source,
            idempotency_key=f"csv:{encounter_id}",
            request_hash=fingerprint({"csv": summary.file_name, "row": first.number}),
            note=f"CSV {Path(summary.file_name).name[-200:]}, row {first.number}",
            patient_id=patient_id,
        ),
        entries,
    )
    summary.visits += 1
    summary.lines += len(lines)
    summary.charge_cents += sum(charges)
