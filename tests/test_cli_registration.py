"""``medledger patient add/update``, ``visit add`` and ``void-charge`` on a fresh organisation
(no demo): a practice registers its patients and visits from the command line."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import assert_one_line_error, cli, new_practice, url_of


def test_register_a_patient_and_a_visit_then_void_a_charge(tmp_path: Path):
    url = url_of(tmp_path / "register.sqlite3")
    new_practice(url, "Second Clinic")

    dry = cli(url, "patient", "add", "R-1", "--last", "Smith", "--first", "Ann", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would be registered" in dry.stdout
    assert "no patients found" in cli(url, "patients").stdout

    added = cli(
        url, "patient", "add", "R-1", "--last", "Smith", "--first", "Ann",
        "--birth-date", "1970-05-01", "--sex", "F", "--member-id", "MEM-1",
        "--payer", "BCBS:primary", "--payer", "MCR:secondary:1EG4",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "(MRN R-1) was registered: Smith, Ann" in added.stdout
    assert "  secondary: MCR 1EG4" in added.stdout

    assert "  registered by Administrator on " in added.stdout
    assert "last changed" not in added.stdout

    updated = cli(url, "patient", "update", "R-1", "--city", "Springfield")
    assert updated.exit_code == 0 and "was updated" in updated.stdout
    assert "  last changed by Administrator on " in updated.stdout

    covered = cli(
        url, "patient", "update", "R-1", "--remove-payer", "BCBS", "--payer", "MCR:secondary:1EG5"
    )
    assert covered.exit_code == 0, covered.output
    assert [line for line in covered.stdout.splitlines() if "ary: " in line] == [
        "  secondary: MCR 1EG5"
    ]
    assert_one_line_error(
        cli(url, "patient", "update", "R-1", "--remove-payer", "BCBS:secondary"),
        "the patient has no secondary coverage by payer 'BCBS'",
    )

    visit = cli(
        url, "visit", "add", "R-1", "--date", "2026-03-02", "--payer", "BCBS",
        "--line", "99213:25=150.00", "--line", "97110*3=285.00", "--diagnosis", "J06.9",
    )  # fmt: skip
    assert visit.exit_code == 0, visit.output
    assert "charged 435.00" in visit.stdout
    therapy = next(line for line in visit.stdout.splitlines() if "97110" in line)
    procedure_id = therapy.split()[1]

    void = cli(url, "void-charge", procedure_id, "--note", "wrong code")
    assert void.exit_code == 0, void.output
    assert "posted transaction" in void.stdout
    assert_one_line_error(cli(url, "void-charge", procedure_id), "voided already")


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path):
    url = url_of(tmp_path / "bad.sqlite3")
    new_practice(url, "Second Clinic")
    assert_one_line_error(
        cli(url, "patient", "add", "R-1", "--last", "Smith", "--birth-date", "1970-13-01"),
        "birth_date 1970-13-01 is not a calendar day",
    )
    assert cli(url, "patient", "add", "R-1", "--last", "Smith").exit_code == 0
    assert_one_line_error(
        cli(url, "visit", "add", "R-1", "--date", "2026-03-02", "--line", "99213"),
        "write CODE[:MODIFIER...][*UNITS]=CHARGE",
    )
    assert_one_line_error(
        cli(url, "visit", "add", "R-1", "--date", "2026-03-02", "--line", "99213=1.005"),
        "1.005",
    )
    assert_one_line_error(
        cli(
            url,
            "visit",
            "add",
            "R-1",
            "--date",
            "2026-03-02",
            "--payer",
            "NOPE",
            "--line",
            "99213=1.00",
        ),
        "payer NOPE not found",
    )
    assert "0.00" in cli(url, "patients").stdout


def test_import_csv_reports_every_bad_row_then_imports_the_corrected_file(tmp_path: Path):
    from tests.services.test_csv_import import GOOD

    url = url_of(tmp_path / "csv.sqlite3")
    new_practice(url, "Second Clinic")
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace("1970-05-01,F", "1970-02-30,F", 1))
    refused = cli(url, "import-csv", str(bad))
    assert refused.exit_code == 1
    assert "birth_date 1970-02-30 is not a calendar day" in refused.stdout
    assert refused.stderr.startswith("error: ") and "row 2, column birth_date" in refused.stderr
    assert "no patients found" in cli(url, "patients").stdout

    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    imported = cli(url, "import-csv", str(good))
    assert imported.exit_code == 0, imported.output
    row = next(line for line in imported.stdout.splitlines() if "good.csv" in line)
    assert row.split()[1:] == ["4", "3", "0", "2", "0", "3", "515.00"]
