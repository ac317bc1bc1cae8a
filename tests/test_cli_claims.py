"""``medledger import-claims`` end to end on a temporary SQLite file: a new organisation made by
``init --organisation``, its 837 imported, then the matching 835, every claim posted."""

from __future__ import annotations

from pathlib import Path

from bench.claims import generate

from tests.test_cli import assert_one_line_error, cli, new_practice, url_of


def test_init_import_claims_then_import_era_posts_every_claim(tmp_path: Path):
    url = url_of(tmp_path / "claims.sqlite3")
    new_practice(url, "Second Clinic")
    pair = generate(12)
    claims = tmp_path / "claims.837"
    claims.write_text(pair.claims_837)
    era = tmp_path / "remittance.835"
    era.write_text(pair.remittance_835)

    dry = cli(url, "import-claims", "--dry-run", str(claims))
    assert dry.exit_code == 0, dry.output
    assert "Would import (dry run: nothing posted)" in dry.stdout

    imported = cli(url, "import-claims", str(claims))
    assert imported.exit_code == 0, imported.output
    row = next(line for line in imported.stdout.splitlines() if "claims.837" in line)
    assert row.split()[1:4] == ["12", "12", "0"]  # claims, new, replaced
    assert all(len(line) <= 80 for line in imported.stdout.splitlines())

    again = cli(url, "import-claims", str(claims))
    assert "claims.837: imported before, nothing posted" in again.stdout

    posted = cli(url, "import-era", str(era))
    assert posted.exit_code == 0, posted.output
    assert "held for review" not in posted.stdout
    row = next(line for line in posted.stdout.splitlines() if "remittance.835" in line)
    assert row.split()[3:6] == ["12", "12", "0"]  # claims, posted, held

    listed = cli(url, "patients")  # the README's path ends on a patient's balance
    mrn = next(word for word in listed.stdout.split() if word.startswith("837-"))
    balance = cli(url, "balance", mrn)
    assert balance.exit_code == 0, balance.output
    total = next(
        line.split()
        for line in balance.stdout.splitlines()
        if line.split()[:2] == ["patient", "total"]
    )
    assert total[2] != "0.00" and total[7] != "0.00"  # charged, and coinsurance owed


def test_a_refused_file_is_one_line_naming_file_segment_and_problem(tmp_path: Path):
    url = url_of(tmp_path / "refused.sqlite3")
    new_practice(url, "Second Clinic")
    bad = tmp_path / "bad.837"
    text = generate(2).claims_837
    first_total = text.split("CLM*C0000001*")[1].split("*")[0]
    bad.write_text(text.replace(f"CLM*C0000001*{first_total}", "CLM*C0000001*0.01"))
    result = cli(url, "import-claims", str(bad))
    assert_one_line_error(result, "bad.837: segment ", "(CLM): claim 'C0000001': CLM02 says 0.01")
