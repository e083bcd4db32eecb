"""``bench/measure.py``, the timing every benchmark reports: the CPU of the whole process tree,
and the peak memory also when it lasts less than the 0.5 s between two regular PSS reads."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def measure():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("bench_measure", ROOT / "bench" / "measure.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


TOUCH = "b = bytearray({mib} << 20); b[::4096] = bytes(len(range(0, {mib} << 20, 4096)))"


def test_a_short_peak_between_regular_reads_is_caught(measure) -> None:  # noqa: ANN001
    """300 MiB held for about 0.2 s, then freed: the regular reads (every 0.5 s) miss it
    (this test failed without it); the read on resident growth does not."""
    code = f"import time; time.sleep(0.05); {TOUCH.format(mib=300)}; time.sleep(0.1); del b; time.sleep(0.6)"
    run = measure.measure([sys.executable, "-c", code])
    assert run.peak_rss_mib >= 290


def test_the_cpu_of_a_grandchild_counts(measure) -> None:  # noqa: ANN001
    spin = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.5: pass')"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}])"
    run = measure.measure([sys.executable, "-c", code])
    assert 0.45 <= run.cpu < 2 and run.wall >= 0.5


def test_a_failing_command_raises_with_its_stderr(measure) -> None:  # noqa: ANN001
    with pytest.raises(RuntimeError, match="boom"):
        measure.measure([sys.executable, "-c", "import sys; sys.exit('boom')"])
