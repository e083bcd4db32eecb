"""The whole job on a real multi-process cluster: a Spark standalone master and two workers
(separate processes, work and temp directories), an S3 server (moto) on loopback, everything
``s3://`` to ``s3://`` with a relative path nowhere; results equal a local run on the same input.

Also: the driver is killed mid-run and the job resubmitted (kill-and-resume with the output
on the S3 server), and one worker is killed while the resumed run is cleaning parts (Spark
retries its task on the other worker; the part markers keep the output idempotent).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from s3_server import moto_s3, upload_tree
from spark_cluster import Cluster, spark_bin

pytestmark = pytest.mark.slow
pytest.importorskip("s3fs")

from pretrain_clean.cli.main import run as cli  # noqa: E402
from pretrain_clean.paths import RESOURCES  # noqa: E402
from pretrain_clean.pipeline import storage  # noqa: E402

BUCKET = "s3://cluster"
MODELS = ("lid/lid.176.ftz", "models/quality/en.ftz", "models/quality/en.card.json",
          *(f"models/kenlm/{lang}.{ext}" for lang in ("en", "zh")
            for ext in ("arpa.bin", "sp.model", "cutoffs.json", "card.json")))
MODEL_SETS = [
    "--set", f'stages.language_id.model_path="{BUCKET}/models/lid/lid.176.ftz"',
    "--set", f'stages.quality_classifier.model_path="{BUCKET}/models/models/quality/en.ftz"',
    "--set", (f'stages.perplexity.models={{en="{BUCKET}/models/models/kenlm/en.arpa.bin", '
              f'zh="{BUCKET}/models/models/kenlm/zh.arpa.bin"}}'),
]


def _markers(out: str) -> int:
    return len(storage.list_files(storage.join(out, "_parts"), ".json"))


def _wait_for(check, proc: subprocess.Popen, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"spark-submit exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _kept_ids(folder: str) -> list[str]:
    ids: list[str] = []
    for part in storage.list_files(folder, ".parquet"):
        ids += storage.parquet_file(part).read(columns=["id"]).column("id").to_pylist()
    return ids


def _counts(stats: dict) -> tuple:
    return (stats["documents_in"], stats["kept"], stats["bytes_kept"], stats["removed"], stats["quarantined"],
            stats["quarantine_errors"])


def test_standalone_cluster_s3_to_s3_equals_local_despite_kills(tmp_path: Path) -> None:
    import json

    from pretrain_clean.pipeline.plan import expand_inputs

    parts = len(expand_inputs([str(ROOT / "data" / "sample")]))
    local_out = tmp_path / "local"
    assert cli("clean", ["--engine", "local", "--workers", "1", "--config", "default", "--input",
                         str(ROOT / "data" / "sample"), "--output", str(local_out / "clean"), "--quiet"]) == 0
    with moto_s3(("cluster",)) as s3env:
        upload_tree(ROOT / "data" / "sample", f"{BUCKET}/sample")
        for name in MODELS:
            storage.write_bytes(f"{BUCKET}/models/{name}", (RESOURCES / name).read_bytes())
        env = {**os.environ, **s3env, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        cluster = Cluster(tmp_path / "cluster", env).start()
        out = f"{BUCKET}/out/clean"
        submit = [spark_bin("spark-submit"), "--master", cluster.master_url, "--conf", "spark.cores.max=2",
                  "--conf", "spark.executor.cores=1", "--executor-memory", "1g", "--driver-memory", "1g",
                  "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.ui.enabled=false",
                  str(ROOT / "jobs" / "clean.py"), "--config", "default", "--input", f"{BUCKET}/sample",
                  "--output", out, *MODEL_SETS]
        try:
            # 1. the driver dies after a few parts: their markers are on S3, the rest is not
            with open(tmp_path / "submit-1.log", "wb") as log:
                first = subprocess.Popen(submit, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                _wait_for(lambda: _markers(out) >= 3, first, 300, "3 parts done")
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
            done_before = _markers(out)
            assert done_before < parts, "the first attempt finished before it was killed"
            # 2. resubmitted; a worker (with its executor) is killed while parts are being cleaned
            with open(tmp_path / "submit-2.log", "wb") as log:
                second = subprocess.Popen(submit, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                _wait_for(lambda: _markers(out) > done_before, second, 300, "a part of the resumed run")
                assert _markers(out) < parts, "every part was done before the worker could be killed"
                cluster.kill("worker-1")
                assert second.wait(timeout=600) == 0, (tmp_path / "submit-2.log").read_text()[-3000:]
            # each "machine" fetches the models into its own cache: the surviving worker holds them all;
            # worker-1 may be killed (in either run) before its first task fetched them all, but what it
            # holds are whole model files under their own names
            def cached(worker: str) -> list[str]:
                return sorted(p.name for p in (tmp_path / "cluster" / worker / "tmp" / "pretrain-clean-cache").rglob("*")
                              if p.is_file())

            assert {"lid.176.ftz", "en.ftz", "en.arpa.bin", "zh.arpa.bin"} <= set(cached("worker-0")), cached("worker-0")
            assert set(cached("worker-1")) <= set(cached("worker-0")), cached("worker-1")
            log_text = (tmp_path / "submit-2.log").read_text()
            assert f"[spark] parts {parts}/{parts}" in log_text  # progress on the driver
            # 3. tokenizer (a driver-side tool), then shards as Spark tasks on the cluster: the
            # spool goes through the store (no folder is shared with the driver)
            assert cli("train-tokenizer", ["--kind", "bpe", "--vocab-size", "2000", "--input", out,
                                           "--output", f"{BUCKET}/out/tok"]) == 0
            shards = [*submit[:submit.index(str(ROOT / "jobs" / "clean.py"))], str(ROOT / "jobs" / "shards.py"),
                      "--engine", "spark", "--tokenizer", f"{BUCKET}/out/tok/tokenizer.json", "--input", out,
                      "--output", f"{BUCKET}/out/shards", "--shard-tokens", "100000"]
            with open(tmp_path / "submit-shards.log", "wb") as log:
                done = subprocess.run(shards, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
            assert done.returncode == 0, (tmp_path / "submit-shards.log").read_text()[-3000:]
            assert not storage.exists(f"{BUCKET}/out/shards/_work")  # the spool on the store is gone
        finally:
            cluster.stop()

        local_stats = json.loads((local_out / "clean" / "stats.json").read_text())
        remote_stats = json.loads(storage.read_text(f"{out}/stats.json"))
        assert _counts(remote_stats) == _counts(local_stats)
        assert remote_stats["removed"].get("dedup_exact.duplicate", 0) > 0
        assert _kept_ids(f"{out}/kept") == _kept_ids(str(local_out / "clean" / "kept"))
        assert [storage.basename(p) for p in storage.list_files(f"{out}/rejected")] == \
            [p.name for p in sorted((local_out / "clean" / "rejected").iterdir())]

        # 4. the same steps run locally; verify both
        base = str(local_out)
        assert cli("train-tokenizer", ["--kind", "bpe", "--vocab-size", "2000", "--input", f"{base}/clean",
                                       "--output", f"{base}/tok"]) == 0
        assert cli("shards", ["--tokenizer", f"{base}/tok/tokenizer.json", "--input", f"{base}/clean",
                              "--output", f"{base}/shards", "--shard-tokens", "100000"]) == 0
        for where in (base, f"{BUCKET}/out"):
            assert cli("verify-shards", [f"{where}/shards"]) == 0, where
        assert storage.read_bytes(f"{BUCKET}/out/tok/tokenizer.json") == (local_out / "tok" / "tokenizer.json").read_bytes()
        local_shards = sorted((local_out / "shards").glob("part-*.parquet"))
        assert len(local_shards) > 1
        assert [storage.read_bytes(f"{BUCKET}/out/shards/{p.name}") for p in local_shards] == \
            [p.read_bytes() for p in local_shards]


@pytest.mark.parametrize("conf, level", [([], "WARN"), (["--conf", "spark.log.level=INFO"], "INFO")])
def test_spark_logs_at_warn_unless_asked(tmp_path: Path, conf: list[str], level: str) -> None:
    script = tmp_path / "level.py"
    script.write_text("from pretrain_clean.pipeline.spark_start import spark_session\n"
                      "print('LEVEL', spark_session().sparkContext.getConf().get('spark.log.level'))\n")
    done = subprocess.run([spark_bin("spark-submit"), "--master", "local[1]", *conf, str(script)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    assert f"LEVEL {level}" in done.stdout, done.stderr[-2000:]
