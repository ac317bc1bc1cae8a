"""Usernames in one form; passwords long, not blank and not common; limits not negative."""

from __future__ import annotations

import pytest

from medledger.domain.credentials import (
    check_password,
    check_write_off_limit,
    normalise_username,
)
from medledger.domain.errors import InvalidInput


@pytest.mark.parametrize(
    "typed", ["manager", "Manager", "manager ", " MANAGER\t", "ｍａｎａｇｅｒ"]
)
def test_look_alike_usernames_are_one_name(typed):
    assert normalise_username(typed) == "manager"


def test_case_folding_goes_beyond_lower_case():
    assert normalise_username("Straße") == normalise_username("STRASSE") == "strasse"


@pytest.mark.parametrize("typed", ["", "   ", "\u3000", "x" * 101])
def test_a_username_of_nothing_or_too_long_is_refused(typed):
    with pytest.raises(InvalidInput):
        normalise_username(typed)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        (" " * 10, "at least 12"),
        ("short pass1", "at least 12"),
        (" " * 12, "other than spaces"),
        ("\t \u3000" * 5, "other than spaces"),
        ("qwerty123456", "common"),
        ("  Qwerty123456 ", "common"),
        ("1q2w3e4r5t6y", "common"),
    ],
)
def test_weak_passwords_are_refused(password, says):
    with pytest.raises(InvalidInput, match=says):
        check_password(password)


@pytest.mark.parametrize("password", ["correct horse battery", "medledger-demo", "x" * 12])
def test_long_uncommon_passwords_pass(password):
    check_password(password)


def test_write_off_limits_are_zero_or_more():
    check_write_off_limit(None)
    check_write_off_limit(0)
    with pytest.raises(InvalidInput, match="negative"):
        check_write_off_limit(-1)
