"""The options every client command shares, as one `Conn` argument.

`@with_conn` appends `--json` (unless `json=False`), `--url` and `--key` to a command's
options, in that order and with the same help and environment variables everywhere, and
hands the command a `Conn` in place of its `conn` parameter.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, overload

import typer

from service.cli.common import connect, print_json
from service.client import BackpropClient

T = TypeVar("T")

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="BACKPROP_URL", help="Service URL (default http://127.0.0.1:8000)."
    ),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="BACKPROP_API_KEY",
        help="API key (default: the key `backprop up` saved in $BACKPROP_DATA_DIR/api-key.txt).",
        show_envvar=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Command = Callable[..., None]


@dataclass(frozen=True)
class Conn:
    """Where and as whom a command talks to the service, and whether it prints JSON."""

    url: str | None = None
    key: str | None = None
    json_out: bool = False

    @contextmanager
    def client(self) -> Iterator[BackpropClient]:
        """A connected client; service and network errors become one line and exit 1."""
        with connect(self.url, self.key) as bp:
            yield bp

    def fetch(self, call: Callable[[BackpropClient], T]) -> T | None:
        """`call` with a connected client; with --json its result is printed and None is
        returned (the command has nothing left to render), else the result is returned."""
        with self.client() as bp:
            result = call(bp)
        if self.json_out:
            print_json(result)
            return None
        return result


def parameter(
    name: str, annotation: Any, default: Any = inspect.Parameter.empty
) -> inspect.Parameter:
    """A command parameter as typer reads it from a signature."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Parameter(name, kind, default=default, annotation=annotation)


SHARED = (parameter("json_out", JsonOpt, False), parameter("url", UrlOpt, None),
          parameter("key", KeyOpt, None))  # fmt: skip
"""The shared options, in the order they are appended."""


@overload
def with_conn(func: Command, *, json: bool = True) -> Command: ...
@overload
def with_conn(func: None = None, *, json: bool = True) -> Callable[[Command], Command]: ...
def with_conn(
    func: Command | None = None, *, json: bool = True
) -> Command | Callable[[Command], Command]:
    """Decorate a command taking `conn: Conn`: typer sees its other parameters followed by
    --json (when `json`), --url and --key; the command gets `Conn(url, key, json_out)`."""
    if func is None:
        return functools.partial(with_conn, json=json)
    signature = inspect.signature(func, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "conn"]
    if len(own) == len(signature.parameters):
        raise TypeError(f"{func.__name__} takes no `conn` parameter")
    params = [*own, *(SHARED if json else SHARED[1:])]

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        conn = Conn(kwargs.pop("url"), kwargs.pop("key"), kwargs.pop("json_out", False))
        func(conn=conn, **kwargs)

    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__annotations__["return"] = signature.return_annotation
    return command
