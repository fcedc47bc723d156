"""The estimator's parameters: the library's defaults, scikit-learn's get/set contract, and a
ValueError in the command line's words for every invalid value."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import casc
from casc import _casc
from conftest import load


def test_defaults_are_the_librarys():
    sig = inspect.signature(casc.CASC)
    names = list(sig.parameters)
    assert names == _casc.param_names()
    assert sig.parameters["n_states"].default is inspect.Parameter.empty
    defaults = {n: p.default for n, p in sig.parameters.items() if n != "n_states"}
    assert defaults == _casc.defaults()


# The command line's flag for each parameter whose default `casc fit --help` shows.
FLAGS = {
    "window": "--window",
    "lam": "--lambda",
    "beta": "--beta",
    "gamma": "--gamma",
    "max_iters": "--max-iters",
    "motif_iters": "--motif-iters",
    "motif_min_instances": "--motif-min-instances",
    "max_motifs": "--max-motifs",
    "mean": "--mean",
    "costs": "--costs",
    "motif_null": "--motif-null",
    "motif_correction": "--motif-correction",
    "min_stage_fraction": "--min-stage-fraction",
}


def test_defaults_are_the_command_lines(cli):
    help_text = cli.run("fit", "--help").stdout
    shown = {}
    for param, flag in FLAGS.items():
        m = re.search(re.escape(flag) + r" <[A-Z_]+>\n.*?\[default: ([^\]]+)\]", help_text, re.S)
        assert m, f"no default shown for {flag}"
        shown[param] = m.group(1)
    defaults = _casc.defaults()
    for param, text in shown.items():
        value = defaults[param]
        assert (value == text) if isinstance(value, str) else (value == float(text)), param
    seed = re.search(r"--seed <SEED>\n.*?\[default: (\d+)\]", help_text, re.S)
    assert seed and int(seed.group(1)) == _casc.default_seed()
    # The flags that turn a phase off say the default is on.
    assert defaults["motifs"] and "--no-motifs" in help_text
    assert defaults["split_merge"] and "--no-split-merge" in help_text
    assert not defaults["standardize"] and "--standardize" in help_text


def test_get_params_returns_the_objects_given():
    lam, beta, rs = 0.005, 12.5, np.random.default_rng(3)
    est = casc.CASC(4, lam=lam, beta=beta, random_state=rs)
    params = est.get_params()
    assert params["lam"] is lam and params["beta"] is beta and params["random_state"] is rs
    clone = casc.CASC(**params)  # scikit-learn's clone
    assert all(clone.get_params()[k] is v for k, v in params.items())


def test_set_params_validates_and_leaves_the_estimator_unchanged_on_error():
    est = casc.CASC(4)
    assert est.set_params(window=3, beta="auto") is est
    assert est.window == 3
    with pytest.raises(ValueError, match=r"invalid parameter gamma = 2: must be in \(0, 1\]"):
        est.set_params(max_iters=5, gamma=2.0)
    assert est.max_iters == _casc.defaults()["max_iters"] and est.gamma == 0.8
    with pytest.raises(ValueError, match=r"invalid parameter 'windows' for estimator CASC"):
        est.set_params(windows=2)
    with pytest.raises(TypeError):
        casc.CASC(4, windows=2)


INVALID = [
    (dict(n_states=2.5), r"states = 2.5: must be an integer"),
    (dict(n_states="3"), r"states = '3': must be an integer, \"auto\" or a tuple \(min, max\)"),
    (dict(n_states=None), r"states = None: must be an integer, \"auto\" or a tuple \(min, max\)"),
    (dict(n_states=(2,)), r"states = \(2,\): must be an integer, \"auto\" or a tuple \(min, max\)"),
    (dict(n_states=(2, 3, 4)), r"states = \(2, 3, 4\): must be an integer, \"auto\" or a tuple"),
    (dict(n_states=[2, 4]), r"states = \[2, 4\]: must be an integer, \"auto\" or a tuple"),
    (dict(n_states=(2, "4")), r"states = \(2, '4'\): must be a tuple of two non-negative integers"),
    (dict(n_states=(-1, 4)), r"states = \(-1, 4\): must be a tuple of two non-negative integers"),
    (dict(n_states=(2.0, 4)), r"states = \(2.0, 4\): must be a tuple of two non-negative integers"),
    (dict(n_states=(4, 2)), r"states = 4\.\.2: must be a range of at least 1 state, the smaller"),
    (dict(n_states=(0, 3)), r"states = 0\.\.3: must be a range of at least 1 state, the smaller"),
    (dict(window="wide"), r"window = 'wide': must be an integer or \"auto\""),
    (dict(n_states=True), r"states = True: must be an integer"),
    (dict(n_states=-1), r"states = -1: must be a non-negative integer"),
    (dict(n_states=0), r"states = 0: must be at least 1"),
    (dict(window=0), r"window = 0: must be at least 1"),
    (dict(window=2**64), r"window = 18446744073709551616: must be an integer below 2\*\*64"),
    (dict(lam="small"), r"lambda = 'small': must be a number"),
    (dict(lam=float("nan")), r"lambda = NaN: must be finite and >= 0"),
    (dict(lam=float("inf")), r"lambda = inf: must be finite and >= 0"),
    (dict(beta="fast"), r"beta = 'fast': must be a number or \"auto\""),
    (dict(beta=None), r"beta = None: must be a number or \"auto\""),
    (dict(beta=-1), r"beta = -1: must be finite and >= 0"),
    (dict(gamma=0), r"gamma = 0: must be in \(0, 1\]"),
    (dict(motifs="yes"), r"motifs = 'yes': must be True or False"),
    (dict(split_merge=1), r"split-merge = 1: must be True or False"),
    (dict(standardize=None), r"standardize = None: must be True or False"),
    (dict(random_state=-3), r"seed = -3: must be a non-negative integer"),
    (dict(random_state=1.5), r"seed = 1.5: must be an integer"),
    (dict(max_iters=0), r"max-iters = 0: must be at least 1"),
    (dict(motif_iters=0), r"motif-iters = 0: must be at least 1"),
    (dict(motif_min_instances=0), r"motif-min-instances = 0: must be at least 1"),
    (dict(max_motifs=0), r"max-motifs = 0: must be at least 1"),
    (dict(mean="moving"), r"mean = 'moving': must be \"stationary\" or \"free\""),
    (dict(mean=None), r"mean = None: must be \"stationary\" or \"free\""),
    (dict(costs="full"), r"costs = 'full': must be \"window\" or \"conditional\""),
    (dict(costs=1), r"costs = 1: must be \"window\" or \"conditional\""),
    (dict(motif_null="poisson"), r"motif-null = 'poisson': must be \"markov\" or \"independent\""),
    (dict(motif_null=True), r"motif-null = True: must be \"markov\" or \"independent\""),
    (dict(motif_correction="holm"), r"motif-correction = 'holm': must be \"bonferroni\" or \"bh\""),
    (dict(motif_correction=None), r"motif-correction = None: must be \"bonferroni\" or \"bh\""),
    # A fraction's range is the library's check, which names the parameter so.
    (dict(min_stage_fraction="none"), r"min_stage_fraction = 'none': must be a number or \"off\""),
    (dict(min_stage_fraction="0.5"), r"min_stage_fraction = '0.5': must be a number or \"off\""),
    (dict(min_stage_fraction=True), r"min_stage_fraction = True: must be a number or \"off\""),
    (dict(min_stage_fraction=None), r"min_stage_fraction = None: must be a number or \"off\""),
    (dict(min_stage_fraction=0), r"min_stage_fraction = 0: \(0, 1\]"),
    (dict(min_stage_fraction=-0.1), r"min_stage_fraction = -0.1: \(0, 1\]"),
    (dict(min_stage_fraction=1.5), r"min_stage_fraction = 1.5: \(0, 1\]"),
    (dict(min_stage_fraction=float("nan")), r"min_stage_fraction = NaN: \(0, 1\]"),
]


@pytest.mark.parametrize("kwargs,message", INVALID, ids=[m.split(":")[0] for _, m in INVALID])
def test_every_invalid_parameter_is_a_value_error(kwargs, message):
    with pytest.raises(ValueError, match="^invalid parameter " + message):
        casc.CASC(**{"n_states": 3, **kwargs})


def test_set_params_rejects_a_bad_new_parameter_by_name_and_keeps_the_old_value():
    est = casc.CASC(4, mean="free")
    for name, bad, named in [
        ("mean", "moving", "mean"),
        ("costs", "full", "costs"),
        ("motif_null", "poisson", "motif-null"),
        ("motif_correction", "holm", "motif-correction"),
        ("min_stage_fraction", 2.0, "min_stage_fraction"),
        ("n_states", (5, 3), "states"),
    ]:
        before = est.get_params()
        with pytest.raises(ValueError, match=f"^invalid parameter {named} = "):
            est.set_params(**{name: bad})
        assert est.get_params() == before


# A value other than the default of every parameter spelled as a word, "off" or a range.
NON_DEFAULT = dict(
    n_states=(2, 4),
    mean="free",
    costs="conditional",
    motif_null="independent",
    motif_correction="bh",
    min_stage_fraction="off",
)


def test_the_new_parameters_round_trip_through_get_params_and_set_params():
    est = casc.CASC(**NON_DEFAULT)
    params = est.get_params()
    assert {k: params[k] for k in NON_DEFAULT} == NON_DEFAULT
    assert casc.CASC(**params).get_params() == params  # scikit-learn's clone
    reset = casc.CASC(7).set_params(**NON_DEFAULT)
    assert reset.get_params() == params
    assert repr(est) == (
        "CASC(n_states=(2, 4), mean='free', costs='conditional', motif_null='independent', "
        "motif_correction='bh', min_stage_fraction='off')"
    )
    back = reset.set_params(**{k: _casc.defaults()[k] for k in NON_DEFAULT if k != "n_states"})
    assert repr(back) == "CASC(n_states=(2, 4))"


def test_the_models_parameters_are_the_fits_in_the_command_lines_spellings(tmp_path):
    X = load("paper-eps0.2")[:600]
    given = dict(
        n_states=(2, 3),
        window=1,
        beta=25.0,
        mean=" FREE",
        costs="Conditional",
        motif_null="INDEPENDENT",
        motif_correction="Benjamini-Hochberg",
        min_stage_fraction=np.float32(0.5),
        random_state=4,
    )
    est = casc.CASC(**given).fit(X)
    est.save(tmp_path / "model.casc")
    loaded = casc.CASC.load(tmp_path / "model.casc")
    expected = {
        **est.get_params(),
        "mean": "free",
        "costs": "conditional",
        "motif_null": "independent",
        "motif_correction": "bh",
        "min_stage_fraction": 0.5,
    }
    assert loaded.get_params() == expected
    assert type(loaded.get_params()["n_states"]) is tuple
    # Made again from its parameters, the estimator fits the same.
    again = casc.CASC(**loaded.get_params()).fit(X)
    assert again.get_params() == loaded.get_params()
    assert np.array_equal(again.labels_, est.labels_)
    assert np.array_equal(loaded.predict(X), est.labels_)


def test_the_words_are_read_as_the_command_line_reads_them():
    for spelling in ("off", "OFF", " Off "):
        casc.CASC(3, min_stage_fraction=spelling)
    for spelling in ("bh", "BH", "benjamini-hochberg", "Bonferroni"):
        casc.CASC(3, motif_correction=spelling)
    casc.CASC(3, mean=" Stationary", costs="WINDOW ", motif_null="Markov")
    casc.CASC((np.int64(1), np.uint8(12)))  # NumPy integers as bounds
    casc.CASC((3, 3))  # a range of one


def test_motif_iters_may_be_zero_without_motifs():
    casc.CASC(3, motifs=False, motif_iters=0)


def test_numpy_scalars_are_accepted():
    X = load("paper-eps0.2")
    lam = float(np.float32(0.01))
    plain = casc.CASC(5, lam=lam, beta=25.0, motifs=False, random_state=2).fit(X).labels_
    est = casc.CASC(
        np.int64(5),
        lam=np.float32(0.01),
        beta=np.float64(25.0),
        motifs=np.bool_(False),
        random_state=np.uint8(2),
    )
    assert np.array_equal(est.fit(X).labels_, plain)


def test_beta_auto_is_spelled_as_on_the_command_line():
    for spelling in ("auto", "AUTO", " Auto "):
        casc.CASC(3, beta=spelling)


def test_random_state_none_is_the_librarys_seed_and_generators_draw_one():
    X = load("paper-eps0.2")
    base = dict(n_states=6, beta=25.0, motifs=False)
    none = casc.CASC(**base).fit(X).labels_
    seeded = casc.CASC(**base, random_state=_casc.default_seed()).fit(X).labels_
    assert np.array_equal(none, seeded)
    a = casc.CASC(**base, random_state=np.random.default_rng(7)).fit(X)
    b = casc.CASC(**base, random_state=np.random.default_rng(7)).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.summary_["parameters"]["seed"] == b.summary_["parameters"]["seed"]
    legacy = casc.CASC(**base, random_state=np.random.RandomState(7)).fit(X)
    assert legacy.summary_["parameters"]["seed"] == np.random.RandomState(7).randint(0, 2**31)


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(casc.CASC(10)) == "CASC(n_states=10)"
    assert repr(casc.CASC(10, window=2, beta=25.0)) == "CASC(n_states=10, window=2, beta=25.0)"


def test_auto_states_and_window_are_chosen_from_the_data(tmp_path):
    X = load("paper-eps0.2")
    est = casc.CASC("auto", window="AUTO", beta=25.0, motifs=False).fit(X)
    assert est.get_params()["n_states"] == "auto"
    k = est.means_.shape[0]
    assert 1 <= k <= 12 and est.labels_.max() < k
    est.save(tmp_path / "auto.casc")
    loaded = casc.CASC.load(tmp_path / "auto.casc")
    assert (loaded.n_states, loaded.window) == ("auto", "auto")
    assert np.array_equal(loaded.predict(X), est.labels_)
