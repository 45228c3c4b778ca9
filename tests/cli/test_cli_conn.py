"""@with_conn and the built commands: the shared options come last with their env vars, the
command gets one Conn, and a built command's arguments carry the route's parameter names."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from service.cli.commands import delete_command, list_command, show_command
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing


def test_with_conn_appends_json_url_key_and_passes_one_conn():
    seen: list[tuple[Conn, str]] = []

    @with_conn
    def hello(conn: Conn, name: Annotated[str, typer.Argument()]) -> None:
        seen.append((conn, name))

    assert list(inspect.signature(hello).parameters) == ["name", "json_out", "url", "key"]
    app = typer.Typer()
    app.command("hello")(hello)
    app.command("other")(with_conn(json=False)(lambda conn: seen.append((conn, "-"))))
    env = {"BACKPROP_URL": "http://env", "BACKPROP_API_KEY": "bp_env"}
    result = CliRunner().invoke(app, ["hello", "x", "--json", "--key", "bp_flag"], env=env)
    assert result.exit_code == 0, result.output
    assert seen == [(Conn("http://env", "bp_flag", True), "x")]
    result = CliRunner().invoke(app, ["other", "--json"], env=env)
    assert result.exit_code == 2 and "--json" in result.output  # not offered without json


def test_with_conn_refuses_a_command_without_conn():
    with pytest.raises(TypeError, match="takes no `conn` parameter"):
        with_conn(lambda name: None)


class FakeClient:
    """What the built commands call, recorded (the bound client methods' shapes)."""

    calls: list[tuple[Any, ...]] = []

    def __init__(self, *_: object) -> None:
        pass

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def page(self, *args: Any) -> dict[str, Any]:
        self.calls.append(("page", *args))
        return {"items": [{"id": "a1"}], "total": 1, "offset": 0}

    def one(self, *args: Any) -> dict[str, Any]:
        self.calls.append(("one", *args))
        return {"id": "/".join(args)}

    def remove(self, *args: Any) -> None:
        self.calls.append(("remove", *args))


def test_built_commands_name_their_arguments_and_call_with_the_ids(monkeypatch):
    monkeypatch.setattr("service.cli.common.BackpropClient", FakeClient)
    FakeClient.calls = []
    app = typer.Typer()
    parent = ("parent_id", Annotated[str, typer.Argument(help="Parent id.")])
    child = ("child_id", Annotated[str, typer.Argument(help="Child id.")])
    list_command(app, "Children.", FakeClient.page, Listing("kids", ("id",), lambda c: [c["id"]]),
                 idents=[parent], status="Only these.", name="kids")  # fmt: skip
    show_command(app, "One child.", [parent, child], FakeClient.one, lambda c: print(c["id"]))
    delete_command(app, "Delete.", [parent, child], FakeClient.remove, "gone {child_id}")
    command = typer.main.get_command(app)
    names = {n: [p.name for p in c.params] for n, c in command.commands.items()}
    assert names == {
        "kids": ["parent_id", "status", "limit", "offset", "json_out", "url", "key"],
        "show": ["parent_id", "child_id", "json_out", "url", "key"],
        "delete": ["parent_id", "child_id", "url", "key"],
    }
    env = {"BACKPROP_API_KEY": "bp_x", "COLUMNS": "100"}
    for args, out in [
        (["kids", "p", "--status", "ok", "--limit", "3"], "a1"),
        (["show", "p", "c"], "p/c"),
        (["delete", "p", "c"], "gone c"),
    ]:
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0 and out in result.output, result.output
    assert FakeClient.calls == [("page", "p", "ok", 3, 0), ("one", "p", "c"), ("remove", "p", "c")]
