"""Docker cannot run here, so check what can be checked of Dockerfile and docker-compose.yml."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from service.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[1]


def cli_commands() -> set[str]:
    names = {c.name or c.callback.__name__ for c in cli_app.registered_commands}
    return names | {g.name for g in cli_app.registered_groups}


def test_compose_has_the_production_layout():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"api", "worker", "redis", "postgres", "migrate"} <= set(services)
    assert "--appendonly" in services["redis"]["command"]
    assert (
        services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1]
        == "yes"
    )
    for name in ("api", "worker", "migrate"):
        svc = services[name]
        assert svc["build"] == "."
        assert svc["command"][0] == "backprop" and svc["command"][1] in cli_commands()
        env = svc["environment"]
        assert env["BACKPROP_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["BACKPROP_DATABASE_URL"]
        assert env["BACKPROP_BROKER_URL"] == "redis://redis:6379/0"
    for name in ("api", "worker"):
        assert "appdata:/data" in services[name]["volumes"]  # file-backed datasets are shared
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
    for name in ("worker", "migrate"):  # the image's HEALTHCHECK probes the API port
        assert services[name]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in services["api"]
    pg = services["postgres"]["environment"]
    url = services["api"]["environment"]["BACKPROP_DATABASE_URL"]
    assert f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@" in url and url.endswith(
        pg["POSTGRES_DB"]
    )


def test_compose_runs_flower_on_the_workers_broker():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    flower = services["flower"]
    command = flower["command"]
    assert command[0] == "celery" and "flower" in command
    broker = next(arg.split("=", 1)[1] for arg in command if arg.startswith("--broker="))
    assert broker == services["worker"]["environment"]["BACKPROP_BROKER_URL"]
    assert "--port=5555" in command and "5555:5555" in flower["ports"]
    assert flower["depends_on"]["redis"]["condition"] == "service_healthy"
    assert flower.get("image") or flower.get("build") == "."


def test_dockerfile_installs_the_package_and_runs_backprop():
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines()]
    base = next(ln for ln in lines if ln.startswith("FROM "))
    version = base.split(":")[1].split("-")[0]
    assert tuple(int(p) for p in version.split(".")) >= (3, 11)
    for ln in lines:
        if ln.startswith("COPY "):
            for src in ln.split()[1:-1]:
                assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
    assert any("pip install ." in ln for ln in lines)
    cmd = [ln for ln in lines if ln.startswith("CMD [")][-1]
    assert '"backprop"' in cmd and '"up"' in cmd


def test_wheel_ships_the_migrations(tmp_path):
    """`pip install .` (what the image does) must carry the Alembic migrations along."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "service/db/migrations/env.py" in names
    assert any(n.startswith("service/db/migrations/versions/0001") for n in names)
    assert "service/cli/__init__.py" in names
    assert "service/api/static/index.html" in names, "the dashboard's files must ship"
    assert "service/api/static/app.js" in names
