"""The README's examples run as written, in order, right after `./dev serve`.

A copy of the repository is served by its own `./dev serve` (fresh SQLite
database, demo line, development secrets, worker and gunicorn) on a free
port; then every ```sh block marked `<!-- example -->` runs, in order, in one
bash shell started in that copy, the way a reader types them in a second
shell. The only change made to them is the port: `127.0.0.1:8000` becomes
the served one (and `IVR_BIND` tells the console phone so). Lines `#> text`
under a command are what the reader is told to expect: they must appear in
that block's output, in that order.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import ROOT, free_port

MARK = "<!-- example -->"
DEFAULT_ADDRESS = "127.0.0.1:8000"
BLOCK = re.compile(re.escape(MARK) + r"\s*\n```sh\n(.*?)\n```", re.DOTALL)
# What a clone does not have, or what a run leaves behind.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".env", "instance", "__pycache__", ".*_cache", "results", "*.png"
)


def examples(readme: str) -> list[str]:
    """The README's runnable example blocks, in order."""
    return BLOCK.findall(readme)


def expectations(block: str) -> list[str]:
    """The `#> text` lines of a block: what its output must show, in order."""
    return [line[3:].strip() for line in block.splitlines() if line.startswith("#> ")]


def unsaid(expected: list[str], output: str) -> list[str]:
    """The expected texts the output does not show in that order (from the first missing)."""
    position = 0
    for number, text in enumerate(expected):
        found = output.find(text, position)
        if found < 0:
            return expected[number:]
        position = found + len(text)
    return []


def script(blocks: list[str], address: str) -> str:
    """One bash script: each block after a marker line, stopping at the first failure."""
    parts = ["set -euo pipefail"]
    for number, block in enumerate(blocks):
        parts += [f"echo '@@block {number}'", block.replace(DEFAULT_ADDRESS, address)]
    parts.append("echo '@@done'")
    return "\n".join(parts) + "\n"


def outputs(transcript: str) -> dict[int, str]:
    """Each block's output, by its number, from the script's transcript."""
    found: dict[int, str] = {}
    for chunk in transcript.split("@@block ")[1:]:
        number, _, output = chunk.partition("\n")
        found[int(number)] = output.split("@@done")[0]
    return found


def venv_wrappers(copy: Path) -> None:
    """A `.venv` in the copy that runs this test's own interpreter and tools.

    `./dev` sees an installed environment whose requirements are up to date, so
    it installs nothing; `. .venv/bin/activate` puts those tools first on PATH.
    """
    tools = Path(sys.executable).parent
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "pip", "flask", "gunicorn"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{tools / name}" "$@"\n')
        wrapper.chmod(0o755)
    (bin_dir / "activate").write_text(f'export PATH="{bin_dir}:{tools}:$PATH"\n')
    requirements = b"".join(
        (copy / name).read_bytes() for name in ("requirements.txt", "requirements-dev.txt")
    )
    stamp = copy / ".venv" / ".requirements.sha256"
    stamp.write_text(hashlib.sha256(requirements).hexdigest() + "\n")


def clean_environment() -> dict[str, str]:
    """The reader's environment: none of the app's settings set."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("IVR_", "TWILIO_", "FLASK_", "PROMETHEUS_"))
    }


def wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"./dev serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)


@pytest.fixture
def dev_serve(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A fresh copy of the repository served by its own `./dev serve`."""
    copy = tmp_path / "clone"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    venv_wrappers(copy)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**clean_environment(), "IVR_BIND": f"127.0.0.1:{port}"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["./dev", "serve"], cwd=copy, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        wait_for(port, process, log)
        yield copy, f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # ./dev serve, its worker and gunicorn
        process.wait(timeout=30)


def failure(blocks: list[str], cwd: Path, address: str) -> str | None:
    """Run the blocks in order in one bash shell; what broke first, or None."""
    run = subprocess.run(
        ["bash", "-c", script(blocks, address)],
        cwd=cwd,
        env={**clean_environment(), "IVR_BIND": address},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    found = outputs(run.stdout)
    for number, output in found.items():
        failed = run.returncode != 0 and number == max(found)
        missing = unsaid(expectations(blocks[number]), output)
        if failed or missing:
            what = f"failed (exit {run.returncode})" if failed else f"did not say {missing}"
            return (
                f"README example {number + 1} of {len(blocks)} {what}:\n"
                f"{blocks[number]}\n--- its output ---\n{output}"
            )
    return None if "@@done" in run.stdout else f"the examples did not finish:\n{run.stdout}"


def test_the_readme_has_examples_with_expectations():
    blocks = examples((ROOT / "README.md").read_text())
    assert len(blocks) >= 4
    assert all(expectations(block) for block in blocks)


def test_a_broken_example_is_reported_with_its_text_and_output(tmp_path):
    blocks = ["echo one\n#> one", "echo two\nfalse\necho never", "echo three"]
    assert failure(blocks, tmp_path, DEFAULT_ADDRESS) == (
        "README example 2 of 3 failed (exit 1):\n"
        "echo two\nfalse\necho never\n--- its output ---\ntwo\n"
    )
    blocks = ["echo heard\n#> said\n#> heard", "echo 127.0.0.1:8000\n#> 127.0.0.1:9"]
    assert "example 1 of 2 did not say ['said', 'heard']" in str(failure(blocks, tmp_path, "x"))
    assert failure(blocks[1:], tmp_path, "127.0.0.1:9") is None
    assert "did not say ['heard']" in str(
        failure(["echo heard said\n#> said\n#> heard"], tmp_path, "")
    )


def test_every_readme_example_runs_as_written_after_dev_serve(dev_serve):
    copy, address = dev_serve
    broken = failure(examples((copy / "README.md").read_text()), copy, address)
    assert broken is None, broken
