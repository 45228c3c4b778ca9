"""The README's fenced code blocks, and a directory laid out like the repository root after
the Quick start, so that tests can run the blocks exactly as a newcomer pastes them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from processes import ROOT, ProcessGroup, wait_healthy
from support import free_port

FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: the heading it is under, its language, its text and first line."""

    heading: str
    lang: str
    code: str
    line: int


def readme_blocks(path: Path = ROOT / "README.md") -> list[Block]:
    """Every fenced block of the file, in order (headings inside blocks are not headings)."""
    blocks: list[Block] = []
    heading, lang, start, body = "", None, 0, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fence = FENCE.match(line)
        if lang is None and fence:
            lang, start, body = fence.group(1), number, []
        elif lang is not None and line.startswith("```"):
            blocks.append(Block(heading, lang, "\n".join(body) + "\n", start))
            lang = None
        elif lang is not None:
            body.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def block(heading: str, lang: str = "bash") -> str:
    """The text of the only `lang` block under `heading`."""
    (found,) = [b.code for b in readme_blocks() if b.heading == heading and b.lang == lang]
    return found


def repository_root_after_quick_start(directory: Path) -> Path:
    """`directory` with examples/ and .venv (this interpreter's environment, which has the
    project installed) linked in, as in the repository root once `dev.py up` has run."""
    (directory / "examples").symlink_to(ROOT / "examples")
    (directory / ".venv").symlink_to(Path(sys.prefix))
    return directory


def up_in_repository_root(processes: ProcessGroup, directory: Path) -> tuple[Path, int]:
    """`backprop up` on a free port, keeping its data (and key) in `directory`/.backprop as
    the Quick start does; returns the prepared root and the port."""
    root = repository_root_after_quick_start(directory)
    processes.env["BACKPROP_DATA_DIR"] = str(root / ".backprop")
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    wait_healthy(f"http://127.0.0.1:{port}", up)
    return root, port


def run_saved(root: Path, name: str, code: str) -> subprocess.CompletedProcess[str]:
    """`code` saved as `name` in `root` and run there with .venv/bin/python, as the README
    says; no BACKPROP_* variables (the client finds the key file of `up`)."""
    (root / name).write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    done = subprocess.run(
        [".venv/bin/python", name], cwd=root, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done
