"""Every README block runs as written from the repository root after the Quick start: each is
either run against a live service (here or in the test named below) or, when it needs
Docker, other hosts, minutes or the whole suite, checked for commands and files that exist.
No Markdown file of the repository points outside it."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import ROOT
from readme_blocks import block, readme_blocks, run_saved, up_in_repository_root

pytestmark = pytest.mark.e2e

CLI = "Walkthrough with the CLI"
TABLES = "Tables as they come: text columns, gaps and id columns"
POSTGRES = "Running with PostgreSQL, Redis and N workers"
RELIABILITY = "Reliability: an accepted job is never lost, run twice, or left stuck"
COVERED = {  # (heading, language, how many blocks) -> how each is run or why it is not
    ("Quick start", "bash", 1): "`up` is what the live tests start; `test` is CI's command",
    ("Walkthrough with curl", "bash", 1): "tests/e2e/test_readme_walkthrough.py",
    (TABLES, "bash", 1): "tests/e2e/test_readme_walkthrough.py, after the walkthrough",
    ("Batch scoring", "bash", 1): "tests/e2e/test_readme_walkthrough.py, after evaluate",
    (CLI, "bash", 1): "tests/cli/test_cli_readme.py",
    (CLI, "python", 1): "test_readme_python_runs_as_saved below",
    ("Model registry and lineage", "bash", 1): "tests/cli/test_registry_readme.py",
    ("Evaluate a model", "bash", 1): "tests/e2e/test_readme_walkthrough.py, after the penguins",
    ("Exporting to ONNX", "bash", 1): "tests/e2e/test_readme_walkthrough.py",
    ("Exporting to ONNX", "python", 1): "tests/e2e/test_readme_walkthrough.py",
    ("Using a model with NumPy alone", "python", 1): "tests/api/test_model_archive.py, on the "
    "wine model, against predict",
    ("Hyperparameter search", "bash", 2): "tests/e2e/test_readme_walkthrough.py, after the "
    "walkthrough (curl, then the CLI)",
    ("Webhooks", "bash", 3): "tests/e2e/test_webhooks_readme.py runs the first two; the CLI "
    "block is checked only (its commands are tested in tests/cli/test_cli_webhooks.py)",
    ("Webhooks", "python", 1): "tests/e2e/test_webhooks_readme.py verifies real signatures",
    ("Dashboard", "bash", 1): "tests/e2e/test_readme_walkthrough.py, after the walkthrough",
    ("REST API (v1)", "bash", 1): "tests/e2e/test_readme_walkthrough.py (big batches)",
    (POSTGRES, "bash", 2): "checked only: Docker, and servers on other hosts",
    (RELIABILITY, "bash", 1): "checked only: a soak run of minutes",
    ("Benchmarks", "bash", 1): "checked only: installs torch, runs for minutes",
    ("Development", "bash", 1): "checked only: runs the whole suite",
}
VENV_BIN = Path(sys.prefix) / "bin"
VENV_COMMAND = re.compile(r"\.venv/bin/([\w-]+)")
REPO_FILE = re.compile(r"(?<![\w/.:-])([\w-]+/[\w./-]+\.(?:py|csv|json|yml|md|txt))\b")
BARE_BACKPROP = re.compile(r"(?:^|[;&|(])\s*backprop\s")
DEV_ONLY = {"ruff"}  # installed by `dev.py test`, which the Development block runs first


def test_every_block_is_run_or_checked():
    found: dict[tuple[str, str], int] = {}
    for b in readme_blocks():
        found[(b.heading, b.lang)] = found.get((b.heading, b.lang), 0) + 1
    assert {(h, lang, n) for (h, lang), n in found.items()} == set(COVERED), (
        "a README block was added, moved or removed: run it in a test or say why not here"
    )


@pytest.mark.parametrize(
    "b", [b for b in readme_blocks() if b.lang == "bash"], ids=lambda b: f"line {b.line}"
)
def test_bash_blocks_use_commands_and_files_that_exist(b):
    parsed = subprocess.run(["bash", "-n"], input=b.code, capture_output=True, text=True)
    assert parsed.returncode == 0, f"README line {b.line}: {parsed.stderr}"
    for name in VENV_COMMAND.findall(b.code):
        assert (VENV_BIN / name).exists() or name in DEV_ONLY, f"README line {b.line}: {name}"
    for path in REPO_FILE.findall(b.code):
        assert (ROOT / path).is_file(), f"README line {b.line}: no file {path}"
    activated = False
    for line in b.code.splitlines():
        activated |= line.strip() == "source .venv/bin/activate"
        if BARE_BACKPROP.search(line.split(" #")[0]):  # the venv's command, not on the PATH
            assert activated, f"README block at line {b.line}: {line!r} needs the venv"


def test_python_blocks_parse():
    for b in readme_blocks():
        if b.lang == "python":
            ast.parse(b.code, filename=f"README.md line {b.line}")


def test_readme_python_runs_as_saved(processes, tmp_path: Path):
    """Saved as walkthrough.py and run with .venv/bin/python, as the README says."""
    root, port = up_in_repository_root(processes, tmp_path)
    done = run_saved(root, "walkthrough.py", block(CLI, "python").replace(":8000", f":{port}"))
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("status ") and any(ln.startswith("epoch ") for ln in lines)
    assert lines[-2].startswith("end "), lines[-3:]
    prediction = ast.literal_eval(lines[-1])
    assert prediction["predictions"] == ["barolo"], prediction
    assert json.dumps(prediction["probabilities"])  # plain numbers


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
URL = re.compile(r"https?://[^\s)`'\"]+")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


DOCS = sorted(  # the repository's Markdown files (not those in .venv, caches and such)
    p.relative_to(ROOT).as_posix()
    for p in ROOT.glob("**/*.md")
    if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
)


@pytest.mark.parametrize("name", DOCS)
def test_docs_point_nowhere_outside_the_repository(name):
    text = (ROOT / name).read_text()
    here = (ROOT / name).parent
    anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    assert "../" not in text, f"{name} points outside the repository"
    for target in MARKDOWN_LINK.findall(text):
        if target.startswith("#"):
            assert target[1:] in anchors, f"{name}: no heading for {target}"
            continue
        assert "://" not in target, f"{name} links {target}"
        path = (here / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{name}: {target} is not a file"
    for url in URL.findall(text):
        host = url.split("://", 1)[1].split("/")[0].split(":")[0]
        assert host in {"127.0.0.1", "localhost"}, f"{name} points to {url}"
