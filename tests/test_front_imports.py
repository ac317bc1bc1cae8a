"""The two HTTP fronts share ``medledger.http`` and never import each other; only
``medledger.app`` stands above both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import medledger

SOURCE = Path(medledger.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved to absolute names."""
    package = ".".join(("medledger", *path.relative_to(SOURCE).with_suffix("").parts[:-1]))
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def importers_of(front: str, other: str) -> list[str]:
    return sorted(
        f"{path.relative_to(SOURCE)} imports {module}"
        for path in (SOURCE / front).rglob("*.py")
        for module in imported_modules(path)
        if module == f"medledger.{other}" or module.startswith(f"medledger.{other}.")
    )


@pytest.mark.parametrize(
    ("front", "other"),
    [("web", "api"), ("api", "web"), ("http", "api"), ("http", "web")],
)
def test_a_front_does_not_import_the_other(front, other):
    assert importers_of(front, other) == []


def test_the_reader_resolves_relative_imports(tmp_path, monkeypatch):
    """The check above would pass on a front that imported the other relatively."""
    module = tmp_path / "web" / "routes" / "page.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ...api import deps\nfrom ..session import csrf\nimport medledger.api\n")
    monkeypatch.setattr(f"{__name__}.SOURCE", tmp_path)
    assert imported_modules(module) >= {
        "medledger.api",
        "medledger.api.deps",
        "medledger.web.session",
        "medledger.web.session.csrf",
    }
    assert importers_of("web", "api") == [
        "web/routes/page.py imports medledger.api",
        "web/routes/page.py imports medledger.api.deps",
    ]
