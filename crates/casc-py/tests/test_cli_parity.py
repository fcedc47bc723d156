"""The package and the command line are one implementation: same labels, models, motifs,
summaries and messages for the same data and parameters."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import casc
from conftest import fixture_csv, instances_of, load, read_json, states_column

# (fixture, command-line arguments, the same as estimator arguments)
CASES = [
    ("paper-w2", ["--states", "10", "--window", "2"], dict(n_states=10, window=2)),
    (
        "paper-eps0.2",
        ["--states", "8", "--seed", "3", "--beta", "25", "--lambda", "0.01", "--no-split-merge"],
        dict(n_states=8, random_state=3, beta=25.0, lam=0.01, split_merge=False),
    ),
    (
        "paper-eps0.0",
        ["--states", "10", "--standardize", "--gamma", "0.6", "--no-motifs"],
        dict(n_states=10, standardize=True, gamma=0.6, motifs=False),
    ),
]


def assert_same_fit(est: casc.CASC, out: Path, phase2: bool = True) -> None:
    """A fit in Python is the command line's in `out`: labels, states, motifs and summary."""
    assert np.array_equal(est.labels_, states_column(out / "assignments.csv"))
    if phase2:
        p1 = states_column(out / "phase1_assignments.csv")
        assert np.array_equal(est.phase1_labels_, p1)
    summary = read_json(out / "summary.json")
    assert est.bic_ == summary["bic"]
    assert est.beta_ == summary["beta"]
    states = read_json(out / "states.json")
    assert np.array_equal(est.means_, np.array([s["mean"] for s in states["states"]]))
    assert np.array_equal(est.precisions_, np.array([s["precision"] for s in states["states"]]))
    motifs = read_json(out / "motifs.json")
    assert [m.states for m in est.motifs_] == [tuple(m["states"]) for m in motifs]
    ours = [
        [(i.start, i.end, tuple(s for s, _ in i.stages)) for i in m.instances]
        for m in est.motifs_
    ]
    assert ours == instances_of(motifs)
    # The summary is the command line's but for the timings and the files read.
    for key in ("seconds", "inputs", "read_options"):
        summary.pop(key, None)
        est.summary_.pop(key, None)
    for it in summary["iteration_log"] + est.summary_["iteration_log"]:
        it.pop("seconds")
    # Recordings are named after the files there, after X here.
    assert [r["name"] for r in est.summary_["recordings"]] == ["X"]
    for r in summary["recordings"] + est.summary_["recordings"]:
        r.pop("name")
    assert est.summary_ == summary


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[c[0] for c in CASES])
def test_labels_equal_the_cli_for_the_same_file_and_seed(cli, tmp_path, name, args, kwargs):
    out = cli.fit(fixture_csv(name), tmp_path / "out", *args)
    est = casc.CASC(**kwargs).fit(load(name))
    assert_same_fit(est, out, phase2=kwargs.get("motifs", True))


# (estimator arguments, the same on the command line, what summary.json records): a value
# other than the default of each parameter spelled as a word or "off" on the command line.
OPTIONS = [
    (dict(mean="free"), ["--mean", "free"], ("mean", "free")),
    (dict(costs="conditional"), ["--costs", "conditional"], ("costs", "conditional")),
    (
        dict(motif_null="independent"),
        ["--motif-null", "independent"],
        ("motif_null", "independent"),
    ),
    (
        dict(motif_correction="bh"),
        ["--motif-correction", "bh"],
        ("motif_correction", "benjamini_hochberg"),
    ),
    (
        dict(min_stage_fraction=0.5),
        ["--min-stage-fraction", "0.5"],
        ("stage_durations", {"minimum": {"fraction": 0.5}}),
    ),
    (
        dict(min_stage_fraction="off"),
        ["--min-stage-fraction", "off"],
        ("stage_durations", "ignored"),
    ),
]


@pytest.mark.parametrize(
    "kwargs,args,recorded", OPTIONS, ids=[" ".join(a) for _, a, _ in OPTIONS]
)
def test_each_option_gives_the_cli_labels_for_the_same_file_and_seed(
    cli, tmp_path, kwargs, args, recorded
):
    out = cli.fit(
        fixture_csv("paper-w2"), tmp_path / "out", "--states", "10", "--window", "2",
        "--seed", "1", *args,
    )
    est = casc.CASC(n_states=10, window=2, random_state=1, **kwargs).fit(load("paper-w2"))
    # The fixture keeps its planted motif, so that the motif options have something to test.
    assert est.motifs_
    # The option reached the fit (the labels alone need not show a motif option).
    key, value = recorded
    assert read_json(out / "summary.json")["parameters"][key] == value
    assert_same_fit(est, out)


def test_a_range_of_states_is_chosen_from_as_by_the_cli(cli, tmp_path):
    out = cli.fit(
        fixture_csv("paper-w2"), tmp_path / "out", "--states", "2..4", "--window", "2"
    )
    est = casc.CASC(n_states=(2, 4), window=2).fit(load("paper-w2"))
    assert 2 <= est.means_.shape[0] <= 4
    assert est.labels_.max() < est.means_.shape[0]
    assert est.summary_["parameters"]["n_states"] == {"auto": {"min": 2, "max": 4}}
    assert_same_fit(est, out)


def test_a_model_saved_in_python_predicts_with_the_cli(cli, tmp_path):
    X = load("paper-w2")
    est = casc.CASC(n_states=10, window=2, random_state=1).fit(X)
    est.save(tmp_path / "model.casc")
    pred = tmp_path / "pred"
    cli.run("predict", tmp_path / "model.casc", fixture_csv("paper-w2"), "--out", pred, "-q")
    cli_labels = states_column(pred / "assignments.csv")
    assert np.array_equal(est.predict(X), cli_labels)
    assert np.array_equal(est.labels_, cli_labels)
    ours = [
        [(i.start, i.end, tuple(s for s, _ in i.stages)) for i in m.instances]
        for m in est.predict_motifs(X)
    ]
    assert ours == instances_of(read_json(pred / "motifs.json"))
    assert len(ours) == len(est.motifs_) > 0, "the fixture keeps its planted motif"


def test_a_model_saved_by_the_cli_predicts_in_python(cli, tmp_path):
    out = cli.fit(fixture_csv("paper-w2"), tmp_path / "out", "--states", "10", "--window", "2")
    est = casc.CASC.load(out / "model.casc")
    X = load("paper-w2")
    assert np.array_equal(est.predict(X), states_column(out / "assignments.csv"))
    params = est.get_params()
    assert (params["n_states"], params["window"], params["beta"]) == (10, 2, "auto")
    assert est.beta_ == read_json(out / "summary.json")["beta"]
    assert [m.states for m in est.motifs_] == [
        tuple(m["states"]) for m in read_json(out / "motifs.json")
    ]
    # Written back, the model is the same file.
    est.save(tmp_path / "again.casc")
    assert (tmp_path / "again.casc").read_bytes() == (out / "model.casc").read_bytes()
    for absent in ("labels_", "bic_", "summary_"):
        assert not hasattr(est, absent)


def test_several_recordings_equal_the_cli_sequence_column_fit(cli, tmp_path):
    X = load("paper-w2")
    cuts = [0, 1100, 2000, 3000]
    names = ["left", "middle", "right"]
    data = tmp_path / "runs.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "a", "b", "c", "d", "e"])
        for r, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
            for row in X[lo:hi]:
                w.writerow([names[r], *(repr(float(v)) for v in row)])
    out = cli.fit(data, tmp_path / "out", "--sequence-column", "run", "--states", "10", "--window", "2")

    parts = [X[lo:hi] for lo, hi in zip(cuts, cuts[1:])]
    est = casc.CASC(n_states=10, window=2).fit(parts)
    assert isinstance(est.labels_, list) and [len(l) for l in est.labels_] == [1100, 900, 1000]
    assert np.array_equal(np.concatenate(est.labels_), states_column(out / "assignments.csv"))
    assert est.bic_ == read_json(out / "summary.json")["bic"]
    cli_motifs = read_json(out / "motifs.json")
    ours = [
        [(names[i.recording], i.start, i.end) for i in m.instances] for m in est.motifs_
    ]
    theirs = [
        [(i["recording"], i["local_start"], i["local_end"]) for i in m["instances"]]
        for m in cli_motifs
    ]
    assert ours == theirs
    # The same with DataFrames named as the file's columns.
    frames = [pd.DataFrame(p, columns=list("abcde")) for p in parts]
    named = casc.CASC(n_states=10, window=2).fit(frames)
    assert all(np.array_equal(a, b) for a, b in zip(named.labels_, est.labels_))
    assert list(named.feature_names_in_) == list("abcde")


# (estimator arguments, the same on the command line)
INVALID = [
    (dict(n_states=0), ["--states", "0"]),
    (dict(window=0), ["--window", "0"]),
    (dict(lam=-1.0), ["--lambda", "-1"]),
    (dict(beta=-2.5), ["--beta", "-2.5"]),
    (dict(gamma=1.5), ["--gamma", "1.5"]),
    (dict(gamma=0.0), ["--gamma", "0"]),
    (dict(max_iters=0), ["--max-iters", "0"]),
    (dict(motif_iters=0), ["--motif-iters", "0"]),
    (dict(motif_min_instances=0), ["--motif-min-instances", "0"]),
    (dict(max_motifs=0), ["--max-motifs", "0"]),
    (dict(n_states=(4, 2)), ["--states", "4..2"]),
    (dict(n_states=(0, 3)), ["--states", "0..3"]),
    (dict(min_stage_fraction=1.5), ["--min-stage-fraction", "1.5"]),
    (dict(min_stage_fraction=0.0), ["--min-stage-fraction", "0"]),
]


@pytest.mark.parametrize("kwargs,args", INVALID, ids=[a[0] for _, a in INVALID])
def test_parameter_messages_equal_the_cli(cli, tmp_path, kwargs, args):
    states = [] if args[0] == "--states" else ["--states", "10"]
    argv = ["fit", fixture_csv("paper-w2"), *states, *args, "--out", tmp_path / "o"]
    p = cli.run(*argv, expect=2)
    message = p.stderr.strip().removeprefix("error: ")
    with pytest.raises(ValueError) as e:
        casc.CASC(**{"n_states": 10, **kwargs})
    assert str(e.value) == message
