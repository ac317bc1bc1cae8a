"""Reading a screen the way a person does: a table's cell by its row and its column heading."""

from __future__ import annotations

import re


def cell(table, row, column: str):
    """The cell of ``row`` under the heading ``column`` of ``table``."""
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    return row.locator(":scope > th, :scope > td").nth(headings.index(column))


def figure(table, row, column: str) -> str:
    return cell(table, row, column).inner_text().strip()


def starting(text: str) -> re.Pattern[str]:
    """A row (or other) name that starts with ``text``: "99213" but not "99213-25"."""
    return re.compile(rf"^{re.escape(text)}\b")
