"""A Spark standalone cluster on loopback for tests: one master and N workers, each a separate
process group with its own work and temp directories (no shared cache between "machines"),
started with ``spark-class`` from the pyspark package.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from s3_server import free_port


def spark_bin(name: str) -> str:
    """A script of the pyspark package (``spark-class``, ``spark-submit``)."""
    found = shutil.which(name, path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if not found:
        raise RuntimeError(f"{name} not found; it comes with the pyspark package")
    return found


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    workers: int = 2
    master_url: str = ""
    ui_port: int = 0
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self) -> "Cluster":
        """Start the master and the workers; on failure, stop what started and raise."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "Cluster":
        self.root.mkdir(parents=True, exist_ok=True)
        port, self.ui_port = free_port(), free_port()
        self.master_url = f"spark://127.0.0.1:{port}"
        self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(port), "--webui-port", str(self.ui_port)])
        self._wait(lambda state: True, "master")
        for i in range(self.workers):
            self.start_worker(i)
        self._wait(lambda state: state.get("aliveworkers", 0) >= self.workers, f"{self.workers} workers")
        return self

    def start_worker(self, i: int) -> None:
        work = self.root / f"worker-{i}"
        (work / "tmp").mkdir(parents=True, exist_ok=True)
        self._spawn(f"worker-{i}", ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                    "--cores", "1", "--memory", "1500m", "--work-dir", str(work / "work"),
                                    "--webui-port", str(free_port()), self.master_url],
                    extra={"TMPDIR": str(work / "tmp")})

    def _spawn(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> None:
        log = open(self.root / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(
            [spark_bin("spark-class"), *args], stdout=log, stderr=subprocess.STDOUT,
            env={**self.env, **(extra or {})}, start_new_session=True,  # own process group: killable with its executors
        )

    def state(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as r:
            return json.load(r)

    def _wait(self, ready, what: str, timeout: float = 90) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if ready(self.state()):
                    return
            except OSError:
                pass
            if any(p.poll() is not None for p in self.procs.values()):
                break
            time.sleep(0.5)
        raise RuntimeError(f"Spark standalone: {what} did not come up; logs in {self.root}")

    def kill(self, name: str) -> None:
        """SIGKILL a daemon and everything it started (its executors and Python workers)."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def stop(self) -> None:
        for name in [n for n in self.procs if n != "master"] + ["master"]:
            if name in self.procs:
                self.kill(name)
