"""``medledger serve --workers 2``, the real server in its own processes, without
MEDLEDGER_SECRET_KEY: both workers sign and check the session cookie with the key stored with
the database, so a login made by one worker works on the other and CSRF tokens hold across
them. Every request goes on a new connection, so the kernel hands them to either worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from medledger.services import accounts, auth
from medledger.services.registration import organisations

PASSWORD = "correct horse battery"
LOGINS, READS, POSTS = 5, 4, 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(engine) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MEDLEDGER_SECRET_KEY"}
    env["MEDLEDGER_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    medledger = Path(sys.executable).parent / "medledger"
    server = subprocess.Popen(
        [str(medledger), "serve", "--workers", "2", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/login").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_two_workers_share_logins_and_csrf_tokens(served, database, actor):
    auth.set_password(database, actor, "admin", PASSWORD)
    practice = organisations(database)[actor.organisation_id]
    failures: list[str] = []
    registered = 0
    for login in range(LOGINS):
        # a new connection per request: either worker may answer any of them
        with httpx.Client(base_url=served, headers={"Connection": "close"}) as browser:
            form = {"practice": practice, "username": "admin", "password": PASSWORD}
            form["csrf"] = csrf_of(browser.get("/login").text)
            answer = browser.post("/login", data=form)
            if answer.status_code != 303:
                failures.append(f"login {login}: {answer.status_code}")
                continue
            for read in range(READS):
                page = browser.get("/")
                if page.status_code != 200:
                    failures.append(f"login {login} read {read}: {page.status_code}")
            token = csrf_of(browser.get("/").text)
            for post in range(POSTS):
                mrn = f"W{uuid.uuid4().hex[:8]}"
                answer = browser.post(
                    "/api/patients",
                    json={"mrn": mrn, "last_name": "Worker"},
                    headers={"X-CSRF-Token": token},
                )
                if answer.status_code != 201:
                    failures.append(f"login {login} post {post}: {answer.status_code}")
                else:
                    registered += 1
    assert failures == []
    found = accounts.search_patients(database, actor, "Worker")
    assert len(found) == registered == LOGINS * POSTS
