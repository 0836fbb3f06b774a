"""Start-up of the `shopdesk` command: `--version` against `python -c pass`, and `cases list` on a
demo store, in the same run (a ratio holds on a noisy machine, an absolute time does not).

1. Fills a demo store (`shopdesk demo`, 120 cases by default) in a temporary directory.
2. Runs, alternating, `python -c pass`, `shopdesk --version` and `shopdesk cases list` (`--runs`
   times each) in child processes with bytecode caching on, after one warm-up run of each so the
   .pyc files exist as they do in an installed shopdesk. The median of each counts.
3. The budgets (issue 2): `--version` within 5x of `python -c pass`, `cases list` under 0.5 s.

Prints the figures, then one JSON object as the last line:
  {"bench": "cli", "pass_ms": …, "version_ms": …, "ratio": …, "cases_list_ms": …, "within_budget": …}

    python bench/cli.py [--cases 120] [--runs 25]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def shopdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "shopdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "shopdesk"]


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--runs", type=int, default=25)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        store = home / "demo.db"
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env.update(SHOPDESK_CONFIG=str(home / "none.toml"), SHOPDESK_LOG=str(home / "log"))
        shopdesk = shopdesk_command()
        subprocess.run([*shopdesk, "--db", str(store), "demo", "--cases", str(options.cases)],
                       env=env, stdout=subprocess.DEVNULL, check=True)
        commands = {
            "pass": [sys.executable, "-c", "pass"],
            "version": [*shopdesk, "--version"],
            "cases_list": [*shopdesk, "--db", str(store), "cases", "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm-up: bytecode written, files in the page cache
            timed(command, env)
        for _ in range(options.runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))

    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    ratio = medians["version"] / medians["pass"]
    within = ratio <= 5 and medians["cases_list"] < 500
    print(f"python -c pass       {medians['pass']:7.1f} ms")
    print(f"shopdesk --version   {medians['version']:7.1f} ms  ({ratio:.2f}x, budget 5x)")
    print(f"shopdesk cases list  {medians['cases_list']:7.1f} ms  (budget 500 ms, {options.cases}-case demo)")
    print(json.dumps({
        "bench": "cli", "pass_ms": round(medians["pass"], 1), "version_ms": round(medians["version"], 1),
        "ratio": round(ratio, 2), "cases_list_ms": round(medians["cases_list"], 1), "within_budget": within,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
