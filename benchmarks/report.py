"""The benchmark's tables: percentiles, latency rows, targets beside measurements."""

from __future__ import annotations

from benchmarks.load import Tally


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def latency_rows(tally: Tally) -> list[dict[str, object]]:
    return [
        {
            "step": kind,
            "requests": len(values),
            "p50 ms": f"{percentile(values, 0.5) * 1000:.1f}",
            "p99 ms": f"{percentile(values, 0.99) * 1000:.1f}",
            "max ms": f"{max(values) * 1000:.1f}",
        }
        for kind, values in sorted(tally.latencies.items())
    ]


def verdict(figure: str, measured: str, target: str, met: bool) -> dict[str, object]:
    return {
        "target": figure,
        "measured": measured,
        "wanted": target,
        "verdict": "met" if met else "MISSED",
    }


def print_table(rows: list[dict[str, object]]) -> None:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in columns) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]).ljust(widths[c]) for c in columns) + " |")
