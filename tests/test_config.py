"""The SQLite URL of the default database: data_dir resolved against the working directory
(remembered per directory, but never across a change of working directory)."""

from __future__ import annotations

from pathlib import Path

from service.config import Settings


def test_the_sqlite_url_follows_data_dir_and_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    settings = Settings(data_dir=Path("data"), database_url=None)
    monkeypatch.chdir(tmp_path / "a")
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'a/data/backprop.db'}"
    monkeypatch.chdir(tmp_path / "b")
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'b/data/backprop.db'}"
    settings.data_dir = tmp_path / "elsewhere"
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'elsewhere/backprop.db'}"
    settings.database_url = "postgres://u:p@h/db"
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@h/db"
