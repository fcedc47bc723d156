"""The estimator's surface: fitted attributes, fit_predict, pickling, save and load, the
docstrings' examples, the type stubs and the wheel."""

from __future__ import annotations

import ast
import doctest
import importlib.metadata
import inspect
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

import casc
from casc import _casc
from conftest import ROOT, load


@pytest.fixture(scope="module")
def fitted():
    # The README's example: the seed with which the fixture's planted motif is kept.
    return casc.CASC(n_states=10, window=2, random_state=1).fit(load("paper-w2"))


def test_fitted_attributes(fitted):
    X = load("paper-w2")
    assert fitted.labels_.shape == fitted.phase1_labels_.shape == (len(X),)
    assert fitted.means_.shape == (10, 2 * 5)
    assert fitted.precisions_.shape == (10, 10, 10)
    assert np.allclose(fitted.precisions_, fitted.precisions_.transpose(0, 2, 1))
    assert all(np.linalg.eigvalsh(p).min() > 0 for p in fitted.precisions_)
    assert np.isfinite(fitted.bic_) and fitted.beta_ > 0
    assert fitted.summary_["beta"] == fitted.beta_
    assert fitted.summary_["state_counts"] == np.bincount(fitted.labels_, minlength=10).tolist()
    assert fitted.n_features_in_ == 5


def test_motif_instances_follow_the_labels(fitted):
    assert fitted.motifs_, "the fixture keeps its planted motif"
    for m in fitted.motifs_:
        assert isinstance(m, casc.Motif) and 0 <= m.p_value <= 1
        assert len(m.instances) >= casc.CASC(1).motif_min_instances
        for inst in m.instances:
            assert isinstance(inst, casc.Instance) and inst.recording == 0
            assert len(inst.stages) == len(m.states)
            assert inst.stages[0][0] == inst.start and inst.stages[-1][1] == inst.end
            for (start, end), state in zip(inst.stages, m.states):
                assert (fitted.labels_[start : end + 1] == state).all()


def test_fit_predict_and_predict_agree(fitted):
    X = load("paper-w2")
    again = casc.CASC(**fitted.get_params())
    assert np.array_equal(again.fit_predict(X), fitted.labels_)
    assert np.array_equal(fitted.predict(X), fitted.labels_)
    half = fitted.predict([X[:1500], X[1500:]])
    assert isinstance(half, list) and [len(h) for h in half] == [1500, 1500]


def test_pickling_keeps_the_model(fitted):
    back = pickle.loads(pickle.dumps(fitted))
    X = load("paper-w2")
    assert np.array_equal(back.predict(X), fitted.labels_)
    assert back.get_params() == fitted.get_params()
    assert back.motifs_ == fitted.motifs_ and back.bic_ == fitted.bic_
    model = pickle.loads(pickle.dumps(fitted._model))
    assert model.to_bytes() == fitted._model.to_bytes()


def test_save_and_load_keep_the_parameters_and_the_predictions(fitted, tmp_path):
    fitted.save(tmp_path / "m.casc")
    loaded = casc.CASC.load(str(tmp_path / "m.casc"))
    assert loaded.get_params() == fitted.get_params()
    unseeded = casc.CASC(n_states=3).fit(load("paper-eps0.2")[:600])
    unseeded.save(tmp_path / "u.casc")
    # None is saved as the seed it stands for.
    assert casc.CASC.load(tmp_path / "u.casc").random_state == _casc.default_seed()
    assert np.array_equal(loaded.means_, fitted.means_)
    assert np.array_equal(loaded.precisions_, fitted.precisions_)
    assert [m.states for m in loaded.motifs_] == [m.states for m in fitted.motifs_]
    assert all(m.instances == () for m in loaded.motifs_)
    assert np.array_equal(loaded.predict(load("paper-w2")), fitted.labels_)
    assert repr(loaded._model).startswith("<casc model: 10 states, 5 sensors, window 2")


def test_the_docstring_examples_run():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(casc) if t.examples]
    assert {t.name for t in tests} >= {"casc", "casc.CASC"}
    for t in tests:
        runner.run(t)
    assert runner.failures == 0 and runner.tries > 10


def stub_tree():
    return ast.parse(Path(_casc.__file__).with_name("_casc.pyi").read_text())


def stub_args(fn: ast.FunctionDef) -> list:
    return [a.arg for a in fn.args.args + fn.args.kwonlyargs if a.arg != "self"]


def test_the_type_stubs_describe_the_native_module():
    tree = stub_tree()
    stubbed = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stubbed[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stubbed[node.target.id] = node
    public = {n for n in dir(_casc) if not n.startswith("_") or n == "__version__"}
    assert public == set(stubbed)
    for name, node in stubbed.items():
        runtime = getattr(_casc, name)
        if isinstance(node, ast.FunctionDef):
            assert stub_args(node) == list(inspect.signature(runtime).parameters), name
        if isinstance(node, ast.ClassDef):
            members = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
            for member, fn in members.items():
                attr = getattr(runtime, member)
                assert attr is not None, f"{name}.{member}"
                if callable(attr) and not isinstance(attr, property) and member != "__reduce__":
                    params = [p for p in inspect.signature(attr).parameters if p != "self"]
                    assert stub_args(fn) == params, f"{name}.{member}"
            runtime_members = {
                n for n in vars(runtime) if not n.startswith("_") or n == "__reduce__"
            }
            assert runtime_members <= set(members), f"{name}: {runtime_members - set(members)}"


def test_the_type_stubs_list_every_parameter():
    (params,) = [
        node.value
        for node in stub_tree().body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["Params"]
    ]
    assert [k.value for k in params.args[1].keys] == _casc.param_names()


def test_the_package_is_typed():
    files = importlib.metadata.files("casc")
    names = {Path(str(f)).name for f in files}
    assert {"py.typed", "_casc.pyi", "__init__.py"} <= names


def test_the_wheel_is_abi3_for_cpython_39_and_later():
    wheel = importlib.metadata.distribution("casc").read_text("WHEEL")
    assert "Tag: cp39-abi3-" in wheel, wheel
    assert Path(_casc.__file__).name.endswith(".abi3.so")
    assert importlib.metadata.version("casc") == casc.__version__


def python_blocks(readme: Path) -> list:
    text = readme.read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("readme", [ROOT / "README.md", ROOT / "crates" / "casc-py" / "README.md"])
def test_the_readme_quick_start_runs(readme, tmp_path, monkeypatch, cli):
    (blocks,) = python_blocks(readme)
    assert len(blocks.strip().splitlines()) == 5
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks, str(readme), "exec"), {})
    # The comment's command applies the saved model with the command line.
    command = re.search(r"# (casc predict .*)$", blocks, re.M).group(1).split()
    cli.run(*command[1:], "-q")
    assert (tmp_path / "pred" / "assignments.csv").is_file()
