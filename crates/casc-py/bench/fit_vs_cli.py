"""A Python fit's time against the command line's on the same data (`cargo xtask bench` runs it).

The command line's figure is the fit as `summary.json` times it (`seconds.fit`: the library's
fit, without reading the CSV or writing the outputs); the Python figure is the wall time of
`CASC(...).fit(X)` on an array already in memory (the copy into the library's series, the fit,
and the conversion of the results). Runs alternate (CLI, Python, CLI, ...) so that a change of
the machine's load hits both; the medians are compared. Both processes use every core (rayon's
default). Each process's whole wall time (the CLI's spawn to exit, Python's CSV read plus fit)
is reported too. The labels must be equal.

usage: python fit_vs_cli.py --casc BIN --data DATA.csv --work DIR [--repeats N] [--states K]
           [--json OUT.json] [--markdown OUT.md] [--limit 1.10]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import casc


def cli_fit(binary: str, data: Path, out: Path, states: int) -> dict:
    started = time.perf_counter()
    subprocess.run(
        [binary, "fit", str(data), "--states", str(states), "--out", str(out), "-q"],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    with open(out / "summary.json") as f:
        seconds = json.load(f)["seconds"]
    with open(out / "assignments.csv", newline="") as f:
        labels = np.array([int(r["state"]) for r in csv.DictReader(f)])
    return {"fit": seconds["fit"], "wall": wall, "labels": labels}


def python_fit(data: Path, X: np.ndarray, states: int) -> dict:
    started = time.perf_counter()
    np.loadtxt(data, delimiter=",")  # the read, for the whole-process comparison only
    read = time.perf_counter() - started
    started = time.perf_counter()
    est = casc.CASC(n_states=states).fit(X)
    fit = time.perf_counter() - started
    return {"fit": fit, "wall": read + fit, "labels": est.labels_}


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--casc", required=True, help="the casc binary")
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--work", required=True, type=Path, help="a folder for the CLI's outputs")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--states", type=int, default=10)
    ap.add_argument("--limit", type=float, default=1.10, help="largest median ratio accepted")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args()

    X = np.loadtxt(a.data, delimiter=",")
    load_before = load_average()
    cli_runs, py_runs = [], []
    # One run of each first, not timed: caches, page faults, the thread pool.
    cli_fit(a.casc, a.data, a.work / "warmup", a.states)
    python_fit(a.data, X, a.states)
    for r in range(a.repeats):
        cli_runs.append(cli_fit(a.casc, a.data, a.work / f"run{r}", a.states))
        py_runs.append(python_fit(a.data, X, a.states))
        print(
            f"run {r}: cli fit {cli_runs[-1]['fit']:.3f} s (process {cli_runs[-1]['wall']:.3f} s), "
            f"python fit {py_runs[-1]['fit']:.3f} s (with the read {py_runs[-1]['wall']:.3f} s)",
            flush=True,
        )
    load_after = load_average()
    same = all(np.array_equal(c["labels"], p["labels"]) for c, p in zip(cli_runs, py_runs))

    def median(runs: list, key: str) -> float:
        return statistics.median(x[key] for x in runs)

    ratio = median(py_runs, "fit") / median(cli_runs, "fit")
    wall_ratio = median(py_runs, "wall") / median(cli_runs, "wall")
    ok = same and ratio <= a.limit
    result = {
        "data": str(a.data),
        "timesteps": int(X.shape[0]),
        "sensors": int(X.shape[1]),
        "states": a.states,
        "repeats": a.repeats,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cli_fit_seconds": [x["fit"] for x in cli_runs],
        "python_fit_seconds": [x["fit"] for x in py_runs],
        "cli_process_seconds": [x["wall"] for x in cli_runs],
        "python_read_and_fit_seconds": [x["wall"] for x in py_runs],
        "median_ratio": ratio,
        "median_wall_ratio": wall_ratio,
        "limit": a.limit,
        "labels_equal": same,
        "ok": ok,
    }
    md = (
        "## Python against the command line\n\n"
        f"`CASC(n_states={a.states}).fit(X)` against `casc fit --states {a.states}` on the same "
        f"{X.shape[0]} x {X.shape[1]} series ({a.data.name}), {a.repeats} alternating runs after "
        f"one untimed run of each, {os.cpu_count()} cores, load average {load_before} before and "
        f"{load_after} after. CLI: `seconds.fit` of summary.json (the library's fit); Python: the "
        "wall time of `fit` on an array in memory (copy, fit, results).\n\n"
        "| | median s | min s | max s |\n|---|---:|---:|---:|\n"
    )
    for label, runs, key in (
        ("CLI fit", cli_runs, "fit"),
        ("Python fit", py_runs, "fit"),
        ("CLI process (read, fit, write)", cli_runs, "wall"),
        ("Python read (np.loadtxt) + fit", py_runs, "wall"),
    ):
        xs = [x[key] for x in runs]
        md += f"| {label} | {statistics.median(xs):.3f} | {min(xs):.3f} | {max(xs):.3f} |\n"
    md += (
        f"\nPython / CLI (median fit): **{ratio:.3f}** (limit {a.limit:.2f}); whole process "
        f"{wall_ratio:.3f}; labels equal: {same}; {'ok' if ok else 'FAILED'}.\n"
    )
    print()
    print(md)
    if a.json:
        a.json.write_text(json.dumps(result, indent=2) + "\n")
    if a.markdown:
        a.markdown.write_text(md)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
