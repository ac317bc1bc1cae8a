"""The API publishes a transaction as ``domain.transaction`` defines it: its kinds as an enum of
exactly ``TransactionKind``'s values, each field described as the record describes it."""

from __future__ import annotations

from medledger.domain.transaction import TransactionHeader, TransactionKind, field_descriptions

KIND = "#/components/schemas/TransactionKind"


def test_the_kind_is_an_enum_of_the_journal_kinds(app):
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["TransactionKind"]["enum"] == [kind.value for kind in TransactionKind]
    assert schemas["TransactionOut"]["properties"]["kind"]["$ref"] == KIND
    assert schemas["WriteOffOut"]["properties"]["kind"]["$ref"] == KIND
    assert schemas["EffectOut"]["properties"]["kinds"]["items"]["$ref"] == KIND
    assert schemas["AdjustmentReportOut"]["properties"]["kind"]["$ref"] == KIND


def test_each_field_is_described_as_the_record_describes_it(app):
    published = app.openapi()["components"]["schemas"]["TransactionOut"]["properties"]
    assert all(field.get("description") for field in published.values()), published
    meaning = field_descriptions(TransactionHeader)
    assert published["note"]["description"] == meaning["note"].replace("``", "`")
    assert published["reverts"]["description"] == meaning["reverts_id"].replace("``", "`")


def test_every_field_of_the_record_has_its_meaning_written_down():
    assert set(field_descriptions(TransactionHeader)) == set(TransactionHeader.__dataclass_fields__)
