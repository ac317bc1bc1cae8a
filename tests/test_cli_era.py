"""``medledger import-era`` and ``medledger review`` end to end on a temporary SQLite file."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from medledger.cli import Session
from medledger.services import accounts
from medledger.services.registration import ProcedureInput, add_encounter, add_patient
from medledger.x12 import writer as w
from tests.era_builders import era_bytes, table_counts
from tests.test_cli import assert_one_line_error, cli, new_practice, url_of

DOS = date(2024, 3, 1)


@pytest.fixture
def practice(tmp_path: Path) -> tuple[str, int]:
    """A practice with one encounter (PCN-1: an office visit and a lab test); its url and the
    office visit's procedure."""
    url = url_of(tmp_path / "era.sqlite3")
    new_practice(url, "Riverside Clinic")
    session = Session(url, "admin", None)
    patient = add_patient(session.database, session.actor, "MRN1", "Ann", "Lee")
    encounter = add_encounter(session.database, session.actor, patient, "PCN-1", DOS,
                              [ProcedureInput("99213", 15000), ProcedureInput("85025", 4500)])  # fmt: skip
    office = accounts.encounter_account(session.database, session.actor, encounter).procedures[0]
    session.close()
    return url, office.procedure.id


def write_era(path: Path, *pcns: str, trace: str = "EFT-1") -> Path:
    claims = [
        w.claim(pcn, [
            w.service_line("99213", 15000, 10000, [w.adjustment("CO", "45", 2500),
                           w.adjustment("PR", "2", 2500)], service_date=DOS),
            w.service_line("85025", 4500, 4000, [w.adjustment("PR", "1", 500)], service_date=DOS),
        ])
        for pcn in pcns
    ]  # fmt: skip
    path.write_bytes(era_bytes([w.remittance(claims, trace_number=trace, payment_date=DOS)]))
    return path


def test_import_posts_and_summarises_and_held_claims_are_listed(practice, tmp_path):
    url, office = practice
    era = write_era(tmp_path / "week1.835", "PCN-1", "PCN-404")
    result = cli(url, "import-era", str(era))
    assert result.exit_code == 0, result.output
    assert "week1.835" in result.stdout and "14000.00" not in result.stdout
    posted, by_kind = (
        line.split() for line in result.stdout.splitlines() if line.lstrip().startswith("week1")
    )
    # file, new sets, seen sets, claims, posted, held, lines posted, paid, patient resp.
    assert posted[1:] == ["1", "0", "2", "1", "1", "2", "140.00", "30.00"]
    assert by_kind[1:] == ["5.00", "25.00", "0.00", "0.00"]  # deductible, coinsurance, ...
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "\\n" not in result.stdout
    assert "held for review: unmatched claim 1" in result.stdout
    listed = cli(url, "review")
    assert "PCN-404" in listed.stdout and "no encounter has patient control number" in listed.stdout
    assert cli(url, "verify").exit_code == 0
    again = cli(url, "import-era", str(era))
    assert again.exit_code == 0
    row = next(line for line in again.stdout.splitlines() if "week1.835" in line).split()
    assert row[1:4] == ["0", "1", "2"]  # already imported: nothing posted


def test_resolve_and_dismiss_from_the_command_line(practice, tmp_path):
    url, office = practice
    session = Session(url, "admin", None)
    encounter = accounts.procedure_account(session.database, session.actor, office).procedure
    cli(url, "import-era", str(write_era(tmp_path / "a.835", "TYPO-1")))
    cli(url, "import-era", str(write_era(tmp_path / "b.835", "GONE-2", trace="EFT-2")))
    resolved = cli(url, "review", "resolve", "1", "--encounter", str(encounter.encounter_id))
    assert resolved.exit_code == 0, resolved.output
    assert "held claim 1 posted to encounter" in resolved.stdout
    assert (
        accounts.procedure_account(session.database, session.actor, office).balance.payer_paid
        == 10000
    )
    assert_one_line_error(cli(url, "review", "resolve", "1", "--encounter", "1"), "already posted")
    dismissed = cli(url, "review", "dismiss", "2", "--reason", "not our patient")
    assert dismissed.exit_code == 0
    assert cli(url, "review").stdout.strip() == "no claims held for review"
    history = cli(url, "review", "--all").stdout
    assert "dismissed: not our patient" in history and "posted to encounter" in history
    session.close()


def test_a_bad_file_is_one_error_line_and_changes_nothing(practice, tmp_path):
    url, _ = practice
    good = write_era(tmp_path / "good.835", "PCN-1")
    bad = tmp_path / "bad.835"
    bad.write_text(good.read_text().replace("CAS*CO*45*25.00", "CAS*CO*45*25.01"))
    session = Session(url, "admin", None)
    before = table_counts(session.engine, session.actor.organisation_id)
    result = cli(url, "import-era", str(bad))
    assert_one_line_error(result, f"error: {bad}: segment ", "(SVC)", "difference -0.01")
    assert table_counts(session.engine, session.actor.organisation_id) == before
    both = cli(url, "import-era", str(bad), str(good))
    assert both.exit_code == 1 and "good.835" in both.stdout  # the good file still imports
    session.close()


def test_dry_run_posts_nothing(practice, tmp_path):
    url, _ = practice
    era = write_era(tmp_path / "dry.835", "PCN-1")
    session = Session(url, "admin", None)
    before = table_counts(session.engine, session.actor.organisation_id)
    result = cli(url, "import-era", "--dry-run", str(era))
    assert result.exit_code == 0 and "dry run: nothing posted" in result.stdout
    assert table_counts(session.engine, session.actor.organisation_id) == before
    session.close()


def test_a_file_off_in_its_envelope_imports_and_its_warnings_are_listed(practice, tmp_path):
    url, _ = practice
    era = write_era(tmp_path / "off.835", "PCN-1")
    era.write_bytes(re.sub(rb"SE\*([0-9]+)\*", b"SE*99*", era.read_bytes()))
    result = cli(url, "import-era", str(era))
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert warning.startswith("warning: off.835: segment ")
    assert "(SE): SE01 says 99 segments but transaction set" in warning
