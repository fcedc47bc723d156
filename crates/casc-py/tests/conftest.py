"""Shared fixtures of the casc package's tests: the repository's data and the command line.

The command line is `CASC_BIN` (set by `cargo xtask test`), else the repository's
`target/release/casc` (built by `cargo build --release -p casc-cli`).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"


def fixture_csv(name: str) -> Path:
    """The data.csv of a checked-in fixture."""
    return FIXTURES / name / "data.csv"


def load(name: str) -> np.ndarray:
    """A fixture's data as the command line reads it (no header, comma-separated)."""
    return np.loadtxt(fixture_csv(name), delimiter=",")


class Cli:
    """The `casc` binary."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, *args: Any, expect: int = 0) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [str(self.path), *map(str, args)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert p.returncode == expect, (
            f"casc {' '.join(map(str, args))} exited with {p.returncode}:\n{p.stderr}"
        )
        return p

    def fit(self, data: Any, out: Path, *args: Any) -> Path:
        """`casc fit DATA... ARGS --out OUT -q`; returns OUT."""
        paths = data if isinstance(data, (list, tuple)) else [data]
        self.run("fit", *paths, *args, "--out", out, "-q")
        return out


def states_column(path: Path) -> np.ndarray:
    """The `state` column of an assignments.csv, over all recordings in file order."""
    with open(path, newline="") as f:
        return np.array([int(r["state"]) for r in csv.DictReader(f)], dtype=np.int64)


def read_json(path: Path) -> Any:
    with open(path) as f:
        return json.load(f)


def instances_of(motifs_json: List[Dict[str, Any]]) -> List[List[tuple]]:
    """(start, end, stage_starts) of every instance of every motif in a motifs.json."""
    return [
        [(i["start"], i["end"], tuple(i["stage_starts"])) for i in m["instances"]]
        for m in motifs_json
    ]


@pytest.fixture(scope="session")
def cli() -> Cli:
    env = os.environ.get("CASC_BIN")
    path = Path(env) if env else ROOT / "target" / "release" / "casc"
    if not path.is_file():
        pytest.fail(
            f"the casc command line is not at {path}: run `cargo build --release -p casc-cli` "
            "or set CASC_BIN (cargo xtask test does both)"
        )
    return Cli(path)
