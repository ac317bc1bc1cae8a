"""Browser tests: the app served by uvicorn on a free port over the test engine, driven by
Debian's Chromium (``/usr/bin/chromium``) through Playwright — never a downloaded browser.

Without Chromium or the playwright package the tests skip, loudly; with
MEDLEDGER_REQUIRE_BROWSER=1 (as in CI) they fail instead. Set MEDLEDGER_SCREENSHOTS to a folder
(``docs/screenshots``) to have the tests save the main screens there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medledger.app import create_app
from medledger.services import auth
from medledger.services.registration import add_user, organisations
from medledger.storage.unit_of_work import Database
from tests.serving import served_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("MEDLEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests cannot run: {missing} (MEDLEDGER_REQUIRE_BROWSER=1)")
        print(f"\n*** SKIPPING BROWSER TESTS: {missing} ***\n")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(engine) -> Iterator[str]:
    """The whole app (API and web UI) on 127.0.0.1 and a free port, in a background thread."""
    with served_in_thread(create_app(engine, secret_key="browser-tests")) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()


@dataclass
class Login:
    """A practice's user with a password, and how to log in as them."""

    practice: str
    username: str

    def into(self, page) -> None:
        page.goto("/login")
        practice = page.get_by_label("Practice")
        if practice.count():  # only asked when the database holds several practices
            practice.fill(self.practice)
        page.get_by_label("Username").fill(self.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()


@pytest.fixture
def staff(engine, database, actor):
    """``staff(role, limit=None)`` adds a user of that role to the test's practice."""
    practice = organisations(database)[actor.organisation_id]

    def add(role: str, limit: str | None = None) -> Login:
        username = f"{role}-{uuid.uuid4().hex[:6]}"
        add_user(Database(engine), actor, username, role.replace("_", " ").title(), role, limit,
                 auth.hash_password(PASSWORD))  # fmt: skip
        return Login(practice, username)

    return add


@pytest.fixture
def shoot():
    """``shoot(page, name)`` saves a screenshot when MEDLEDGER_SCREENSHOTS names a folder."""
    folder = os.environ.get("MEDLEDGER_SCREENSHOTS")

    def save(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"))

    return save
