"""The server's access log names routes, never the values a request carries (no PHI in logs)."""

from __future__ import annotations

import logging

from medledger.cli import app as cli_app


def test_lines_name_the_route_template_status_and_time_not_the_patient(practice, engine, caplog):
    manager = practice.clients["manager"]
    patient = manager.get(f"/api/patients/{practice.patient_id}").json()
    with caplog.at_level(logging.INFO, logger="medledger.access"):
        manager.get("/api/patients", params={"search": patient["last_name"]})
        manager.get(f"/api/patients/{practice.patient_id}")
        manager.get("/api/procedures/999999999")
    lines = [r.getMessage() for r in caplog.records if r.name == "medledger.access"]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "GET /api/patients 200",
        "GET /api/patients/{patient_id} 200",
        "GET /api/procedures/{procedure_id} 404",
    ]
    logged = "\n".join(lines)
    assert patient["last_name"] not in logged and patient["mrn"] not in logged
    assert f"/{practice.patient_id}" not in logged and "999999999" not in logged
    assert all(line.endswith(" ms") for line in lines)


def test_serve_turns_uvicorn_access_log_off(monkeypatch, tmp_path):
    """uvicorn's own access log prints the path with its query string: ``serve`` must not run it."""
    import uvicorn
    from typer.testing import CliRunner

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    result = CliRunner().invoke(
        cli_app, ["--database-url", f"sqlite:///{tmp_path / 'db.sqlite3'}", "serve"]
    )
    assert result.exit_code == 0, result.output
    assert seen["access_log"] is False
