"""Services and storage name a transaction's kind by its ``TransactionKind`` member, never as a
string literal: a literal that drifts from the enum would match nothing, silently."""

from __future__ import annotations

import ast
from pathlib import Path

import medledger
from medledger.domain.transaction import TransactionKind

PACKAGE = Path(medledger.__file__).parent
KINDS = {kind.value for kind in TransactionKind}


def _kind_literals(node: ast.AST) -> list[str]:
    """The kind names written as string literals in ``node`` (alone, or in a tuple/list/set)."""
    if isinstance(node, ast.Constant) and node.value in KINDS:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [name for element in node.elts for name in _kind_literals(element)]
    return []


def _about_kind(node: ast.AST) -> bool:
    return ast.unparse(node).endswith("kind")


def literal_kinds(source: str) -> list[str]:
    """Each comparison of something named ``kind`` with a kind literal (``==``, ``in``,
    ``.in_(...)``), or a ``"kind": literal`` entry, as its source line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_about_kind(side) for side in sides) and any(map(_kind_literals, sides)):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            in_kinds = node.func.attr == "in_" and _about_kind(node.func.value)
            if in_kinds and any(map(_kind_literals, node.args)):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "kind" and _kind_literals(value):
                    found.append(ast.unparse(node))
    return found


def test_the_check_finds_a_literal_kind():
    assert literal_kinds('if view.kind != "write_off": pass') != []
    assert literal_kinds('t.c.kind.in_(["adjudication", "estimate"])') != []
    assert literal_kinds('x = original.kind in ("payment", "refund")') != []
    assert literal_kinds('h = {"kind": "write_off"}') != []
    assert literal_kinds("if view.kind != TransactionKind.WRITE_OFF: pass") == []
    assert literal_kinds('authorize(actor, "write_off")') == []


def test_services_and_storage_name_kinds_by_the_enum():
    found = {
        str(path.relative_to(PACKAGE)): hits
        for layer in ("services", "storage")
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        if (hits := literal_kinds(path.read_text(encoding="utf-8")))
    }
    assert found == {}
