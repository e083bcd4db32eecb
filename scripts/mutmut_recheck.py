"""Re-run mutants that ``mutmut run`` reported killed, by hand, and print those no test kills.

    unset PYTHONPATH; mutmut run --max-children 1 "pretrain_clean.dedup.local.*"
    python scripts/mutmut_recheck.py local.x_run_dedup_local local.x__near   # substrings of names

mutmut 3.8 with ``process_isolation = "forkserver"`` reported mutants killed that no test
kills when their tests fork worker processes (``fork_map``: dedup's passes, the annotate pass;
docs/testing.md). This runs each killed mutant's recorded tests (``mutants/mutmut-stats.json``)
in a plain ``pytest -x`` with ``MUTANT_UNDER_TEST`` set, which is what mutmut's trampolines
read, and prints ``NAME exit-code seconds``; exit code 0 is a survivor.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def killed_mutants(root: Path, filters: list[str]) -> list[str]:
    """Mutants ``mutmut results --all true`` lists as killed whose names contain a filter."""
    out = subprocess.run(["mutmut", "results", "--all", "true"], cwd=root, capture_output=True, text=True, check=True)
    names = [line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip().endswith(": killed")]
    return [n for n in names if not filters or any(f in n for f in filters)]


def recheck(root: Path, name: str, tests_by_function: dict[str, list[str]]) -> tuple[int, float]:
    """Exit code and seconds of ``pytest -x`` over ``name``'s tests with the mutant switched on."""
    tests = sorted(tests_by_function.get(name.rsplit("__mutmut_", 1)[0], []))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MUTANT_UNDER_TEST": name}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests],
                         cwd=root / "mutants", env=env, capture_output=True, timeout=600)
    return run.returncode, time.perf_counter() - start


def main() -> None:
    root = Path.cwd()
    stats = json.loads((root / "mutants" / "mutmut-stats.json").read_text())
    for name in killed_mutants(root, sys.argv[1:]):
        code, seconds = recheck(root, name, stats["tests_by_mangled_function_name"])
        print(f"{name} {code} {seconds:.1f}", flush=True)


if __name__ == "__main__":
    main()
