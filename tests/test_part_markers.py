"""A part is complete when its marker exists, and the marker is written after its outputs.

A process killed between two outputs of a part, or between its outputs and its marker,
leaves no marker: the rerun redoes that part and the result equals an uninterrupted run.
The kill is real (``os._exit`` in a child process: no cleanup, no ``finally``).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, write_jsonl
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config

CONFIG = {"stages": [{"stage": "normalize"}, {"stage": "gopher_quality"}]}
GOOD = " ".join(["The river runs past the old mill and the children walk to school with their books."] * 5)

CHILD = """
import os, sys
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline import writers
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config
from pretrain_clean.pipeline.stats import Stats

point, inputs, out = sys.argv[1], sys.argv[2], sys.argv[3]
calls = {"commit": 0, "marker": 0}
commit, to_json = writers.AtomicParquetWriter.commit, Stats.to_json

def crashing_commit(self):
    calls["commit"] += 1
    if point == "between_outputs" and calls["commit"] == 5:  # part 1's second output
        os._exit(137)
    commit(self)

def crashing_marker(self):  # a part's stats become its marker's text, after its outputs
    calls["marker"] += 1
    if point == "before_marker" and calls["marker"] == 2:  # part 1's outputs are all published
        os._exit(137)
    return to_json(self)

writers.AtomicParquetWriter.commit = crashing_commit
Stats.to_json = crashing_marker
spec = parse_config({"stages": [{"stage": "normalize"}, {"stage": "gopher_quality"}]}, CONFIGS)
clean(spec, [inputs], out, CleanOptions("local", workers=1, show_progress=False))
"""


def make_inputs(folder: Path) -> Path:
    for n in range(3):
        write_jsonl(folder / f"in-{n}.jsonl", [
            {"id": f"{n}-good", "text": GOOD},
            {"id": f"{n}-short", "text": "too short"},
            "{not json",
        ])
    return folder


def outputs(out: Path) -> dict[str, object]:
    """Every published output file's rows, and stats.json without timings."""
    found: dict[str, object] = {}
    for sub in ("kept", "rejected", "quarantine"):
        for part in sorted((out / sub).glob("part-*.parquet")):
            found[f"{sub}/{part.name}"] = pq.read_table(part).to_pylist()
    stats = json.loads((out / "stats.json").read_text())
    for key in ("read_seconds", "write_seconds"):
        stats.pop(key)
    for stage in stats["stages"].values():
        stage.pop("seconds")
    found["stats.json"] = stats
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("reference")
    inputs = make_inputs(base / "in")
    spec = parse_config(CONFIG, CONFIGS)
    clean(spec, [str(inputs)], str(base / "out"), CleanOptions("local", workers=1, show_progress=False))
    return inputs, outputs(base / "out")


@pytest.mark.parametrize("point,published", [
    ("between_outputs", {"kept/part-00001.parquet"}),
    ("before_marker", {"kept/part-00001.parquet", "rejected/part-00001.parquet", "quarantine/part-00001.parquet"}),
])
def test_a_kill_before_the_marker_redoes_the_part(point: str, published: set[str], tmp_path: Path,
                                                  reference: tuple[Path, dict[str, object]]) -> None:
    inputs, expected = reference
    out = tmp_path / "out"
    log = tmp_path / "child.log"
    with open(log, "wb") as sink:  # not a pipe: datatrove's manager process outlives the kill
        child = subprocess.Popen([sys.executable, "-c", CHILD, point, str(inputs), str(out)], cwd=ROOT,
                                 stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = child.wait(timeout=300)
        finally:
            os.killpg(child.pid, signal.SIGKILL)  # the orphaned manager, as a real kill would leave it
    assert returncode == 137, log.read_text()[-2000:]
    markers = sorted(p.name for p in (out / "_parts").glob("*.json"))
    assert markers == ["part-00000.json"]  # part 1 has no marker, whatever it published
    for name in published:
        assert (out / name).exists(), name
    assert not (out / "stats.json").exists()

    spec = parse_config(CONFIG, CONFIGS)
    stats = clean(spec, [str(inputs)], str(out), CleanOptions("local", workers=1, show_progress=False))
    assert outputs(out) == expected
    assert (stats.documents_in, stats.kept, stats.removed_total, stats.quarantined) == (9, 3, 3, 3)
    assert sorted(p.name for p in (out / "_parts").glob("*.json")) == [f"part-0000{n}.json" for n in range(3)]
