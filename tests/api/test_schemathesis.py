"""schemathesis against the schema `shopdesk serve` publishes (slow: `pytest -m slow`).

Needs the `fuzz` extra (`pip install -e '.[test,fuzz]'`); skipped without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ports import free_port

pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing(tmp_path: Path):
    pytest.importorskip("schemathesis")
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if cli is None:
        pytest.skip("schemathesis CLI not installed")
    env = {**os.environ, "SHOPDESK_LOG": str(tmp_path / "log"),
           "SHOPDESK_CONFIG": str(tmp_path / "none.toml")}
    shopdesk = [sys.executable, "-m", "shopdesk", "--db", str(tmp_path / "shop.db")]
    subprocess.run([*shopdesk, "source", "add", "shop", "--kind", "generic"], env=env, check=True,
                   capture_output=True)
    created = subprocess.run([*shopdesk, "token", "create", "schemathesis"], env=env, check=True,
                             capture_output=True, text=True)
    token = created.stdout.splitlines()[1].strip()
    port = free_port()
    server = subprocess.Popen([*shopdesk, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().startswith("serving")
        run = subprocess.run(
            [cli, "run", f"http://127.0.0.1:{port}/schema/openapi.json",
             "-H", f"Authorization: Bearer {token}", "--max-examples", "40", "--seed", "1"],
            capture_output=True, text=True, timeout=600,
        )
        assert run.returncode == 0, run.stdout[-4000:]
    finally:
        server.terminate()
        server.communicate(timeout=30)
