"""A new practice, no demo: its 837 in, then the payer's 835, and every claim posts.

The organisation is created the way ``medledger init --organisation`` creates it; its patients,
visits and charges come only from the 837 (bench/claims.py writes a matching pair), and the 835
answering it posts every claim automatically, none held. The coinsurance it assigns is on the
patient's Charges tab, with Write Off offered. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import re

from bench.claims import generate
from fastapi.testclient import TestClient

from medledger.app import create_app
from medledger.domain.columns import Column
from medledger.domain.money import format_cents
from medledger.services import accounts, auth
from medledger.services.claim_import import import_claims
from medledger.services.era_import import import_era
from medledger.services.registration import add_user, create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import UnitOfWork

PASSWORD = "claims-to-remittance-1"


def test_a_new_practice_posts_its_payers_answer_to_the_claims_it_imported(engine, database):
    admin = create_organisation(database, "Second Clinic")
    pair = generate(40)
    claims = import_claims(
        database, admin, io.BytesIO(pair.claims_837.encode()), file_name="claims.837"
    )
    assert (claims.imported, claims.lines, claims.held) == (40, pair.lines, [])
    assert claims.charge_cents == pair.charge_cents

    era = import_era(
        database, admin, io.BytesIO(pair.remittance_835.encode()), file_name="remittance.835"
    )
    assert (era.claims_posted, era.lines_posted, era.held_claims) == (40, pair.lines, 0)
    assert era.paid_cents == pair.paid_cents
    assert era.pr_by_carc == {"2": pair.coinsurance_cents}
    assert verify_organisation(database, admin.organisation_id).ok

    with UnitOfWork(engine, admin.organisation_id, write=False) as uow:
        encounter = uow.registry.encounter_by_control_number("C0000001")
    account = accounts.patient_account(database, admin, encounter.patient_id)
    coinsurance = account.balance.by_category(Column.PR)["coinsurance"]
    assert coinsurance > 0

    add_user(database, admin, "biller", "Biller", "biller", None, auth.hash_password(PASSWORD))
    client = TestClient(create_app(engine, secret_key="claims-to-remittance"))
    login = client.get("/login").text
    client.post(
        "/login",
        data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', login).group(1),
            "practice": "Second Clinic",
            "username": "biller",
            "password": PASSWORD,
        },
    )
    charges = client.get(f"/patients/{encounter.patient_id}")
    assert charges.status_code == 200
    assert format_cents(coinsurance) in charges.text
    procedure = account.encounters[0].procedures[0].procedure.id
    detail = client.get(f"/charges/{procedure}")  # the charge opened on the tab
    assert f'hx-get="/charges/{procedure}/write-off"' in detail.text
