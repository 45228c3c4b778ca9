"""Server commands of `backprop`: migrate, worker without a broker, and the keys commands."""

from __future__ import annotations

from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from service.db.keys import lookup_key
from service.db.session import session_scope


def test_keys_create_and_migrate(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BACKPROP_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["keys", "create", "--tenant", "acme"])
        assert result.exit_code == 0, result.output
        key = result.stdout.strip().splitlines()[-1]
        assert key.startswith("bp_") and " " not in key
        with session_scope(get_settings().sqlalchemy_url) as s:
            assert lookup_key(s, key)[1].name == "acme"
        assert runner.invoke(app, ["worker"]).exit_code == 2  # no broker configured
        admin = runner.invoke(app, ["keys", "create", "--tenant", "ops", "--admin"])
        assert "admin scope" in admin.output
        listed = runner.invoke(app, ["keys", "list"])
        assert listed.exit_code == 0 and "acme" in listed.output and "ops" in listed.output
        assert key not in listed.output  # only prefixes are shown
        tenants = runner.invoke(app, ["keys", "tenants"])
        rows = [line.split() for line in tenants.stdout.splitlines()]
        names = [row[1] for row in rows if len(row) == 4 and len(row[0]) == 36]
        assert tenants.exit_code == 0 and names == ["acme", "ops"], tenants.output
        revoked = runner.invoke(app, ["keys", "revoke", key[:10]])
        assert revoked.exit_code == 0, revoked.output
        with session_scope(get_settings().sqlalchemy_url) as s:
            assert lookup_key(s, key) is None
        assert runner.invoke(app, ["keys", "revoke", "bp_nothing"]).exit_code == 1
    finally:
        get_settings.cache_clear()
