"""A smoke test of the benchmark's own code (not a benchmark: no figure is judged here)."""

from __future__ import annotations

from benchmarks import bench, report
from tests.server import serve


def test_the_bench_measures_server_cpu_and_latency_of_a_phase(monkeypatch):
    monkeypatch.setattr(bench, "WARM_UP", 0.2)
    with serve({}, 1, 2, app="benchmarks.floor:app") as server:
        (measured,) = bench.measure(server, [bench.Phase("floor", "floor", 2, 0.0)], ["-"], 0.5)
    assert not measured.tally.failures
    assert measured.tally.latencies["floor"]
    assert measured.cpu > 0
    row = measured.row("-")
    assert float(str(row["CPU ms/request"])) > 0
    assert float(str(row["p99 ms"])) > 0
    assert report.verdict("x", "1", "≤ 2", True)["verdict"] == "met"
