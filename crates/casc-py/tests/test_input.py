"""What X can be: arrays of either float width in either memory order (read in place), pandas
DataFrames (names kept, matched on predict), lists of recordings; and what it cannot."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import casc
from casc import _Data
from conftest import load

NAMES = ["speed", "rpm", "temp", "brake", "steer"]


def quick(**kw):
    """A fast estimator: fixed beta, TICC only."""
    return casc.CASC(**{"n_states": 6, "beta": 25.0, "motifs": False, **kw})


@pytest.fixture(scope="module")
def X():
    return load("paper-eps0.2")


@pytest.fixture(scope="module")
def reference(X):
    return quick().fit(X).labels_


def test_memory_orders_and_strides_give_the_same_labels(X, reference):
    assert np.array_equal(quick().fit(np.asfortranarray(X)).labels_, reference)
    strided = np.repeat(X, 2, axis=1)[:, ::2]
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    assert np.array_equal(quick().fit(strided).labels_, reference)


def test_float32_is_read_as_its_float64_values(X):
    X32 = X.astype(np.float32)
    wide = quick().fit(X32.astype(np.float64)).labels_
    assert np.array_equal(quick().fit(X32).labels_, wide)
    assert np.array_equal(quick().fit(np.asfortranarray(X32)).labels_, wide)


def test_integer_arrays_and_nested_lists_are_converted(X):
    Xi = np.round(X * 100).astype(np.int32)
    expected = quick().fit(Xi.astype(np.float64)).labels_
    assert np.array_equal(quick().fit(Xi).labels_, expected)
    assert np.array_equal(quick().fit(Xi.tolist()).labels_, expected)


def test_arrays_are_passed_without_a_copy(X):
    for a in (X, np.asfortranarray(X), X.astype(np.float32), X[::2], X[:, 1:3]):
        assert _Data(a).arrays[0] is a
    df = pd.DataFrame(X, columns=NAMES)
    assert np.shares_memory(_Data(df).arrays[0], df.to_numpy())
    assert _Data([X, X[:100]]).arrays[1].base is X


def test_labels_are_int64_arrays(X, reference):
    assert isinstance(reference, np.ndarray) and reference.dtype == np.int64
    assert reference.shape == (len(X),)


def test_dataframe_names_are_kept_and_matched_on_predict(X, reference, cli, tmp_path):
    df = pd.DataFrame(X, columns=NAMES)
    est = quick().fit(df)
    assert np.array_equal(est.labels_, reference)
    assert list(est.feature_names_in_) == NAMES
    assert est.n_features_in_ == 5
    shuffled = df[["steer", "temp", "speed", "brake", "rpm"]]
    assert np.array_equal(est.predict(shuffled), reference)
    # The names are in the model file, for the command line too.
    est.save(tmp_path / "model.casc")
    inspected = json.loads(cli.run("inspect", tmp_path / "model.casc", "--json").stdout)
    assert inspected["sensor_names"] == NAMES
    loaded = casc.CASC.load(tmp_path / "model.casc")
    assert list(loaded.feature_names_in_) == NAMES
    assert np.array_equal(loaded.predict(shuffled), reference)


def test_missing_or_extra_columns_are_a_value_error_listing_them(X):
    est = quick().fit(pd.DataFrame(X, columns=NAMES))
    df = pd.DataFrame(X, columns=NAMES)
    with pytest.raises(ValueError, match=r"missing \"steer\""):
        est.predict(df.drop(columns=["steer"]))
    with pytest.raises(ValueError, match=r"not in the model \"gear\""):
        est.predict(df.assign(gear=1.0))
    with pytest.raises(ValueError, match=r"missing \"brake\"; not in the model \"Brake\""):
        est.predict(df.rename(columns={"brake": "Brake"}))


def test_unnamed_models_take_columns_as_they_come(X, reference):
    est = quick().fit(X)
    assert not hasattr(est, "feature_names_in_")
    assert np.array_equal(est.predict(pd.DataFrame(X, columns=NAMES)), reference)
    # The message is the library's (Model::prepare).
    with pytest.raises(ValueError, match=r"has 4 \w+ but the model was fitted on 5"):
        est.predict(X[:, :4])
    with pytest.raises(ValueError, match="4 columns but the model was fitted on 5 sensors"):
        est.predict(pd.DataFrame(X[:, :4], columns=NAMES[:4]))


def test_a_refit_on_an_array_forgets_the_names(X):
    est = quick().fit(pd.DataFrame(X, columns=NAMES))
    est.fit(X)
    assert not hasattr(est, "feature_names_in_")


def test_dataframes_in_a_list_are_matched_to_the_first(X):
    a, b = X[:1500], X[1500:]
    expected = quick().fit([a, b]).labels_
    frames = [pd.DataFrame(a, columns=NAMES), pd.DataFrame(b, columns=NAMES)[NAMES[::-1]]]
    got = quick().fit(frames).labels_
    assert all(np.array_equal(g, e) for g, e in zip(got, expected))
    frames[1] = frames[1].rename(columns={"rpm": "RPM"})
    with pytest.raises(ValueError, match=r"X\[1\]'s columns differ from X\[0\]'s"):
        quick().fit(frames)


def test_integer_and_boolean_columns_are_numbers(X):
    df = pd.DataFrame(X, columns=NAMES)
    df["gear"] = (np.arange(len(df)) // 500 % 4).astype(np.int64)
    df["lights"] = np.arange(len(df)) % 7 == 0
    est = quick().fit(df)
    assert list(est.feature_names_in_) == NAMES + ["gear", "lights"]
    assert np.array_equal(est.predict(df), est.labels_)


def test_non_numeric_columns_are_a_value_error_naming_them(X):
    df = pd.DataFrame(X, columns=NAMES)
    with pytest.raises(ValueError, match=r"column 'label' is not numeric"):
        quick().fit(df.assign(label="idle"))
    with pytest.raises(ValueError, match=r"column 'when' is not numeric"):
        quick().fit(df.assign(when=pd.Timestamp("2024-01-01")))


def test_missing_values_are_a_value_error_naming_row_and_column(X):
    bad = X.copy()
    bad[17, 3] = np.nan
    with pytest.raises(ValueError, match=r"^X: the value at row 17, column 3 is NaN"):
        quick().fit(bad)
    with pytest.raises(ValueError, match=r"row 17, column \"brake\" is NaN"):
        quick().fit(pd.DataFrame(bad, columns=NAMES))
    with pytest.raises(ValueError, match=r"^X\[1\]: the value at row 17, column 3 is NaN"):
        quick().fit([X, bad])
    inf = X.copy()
    inf[2, 0] = np.inf
    with pytest.raises(ValueError, match=r"row 2, column 0 is inf"):
        quick().fit(inf)
    nullable = pd.DataFrame(X, columns=NAMES).astype("Float64")
    nullable.iloc[5, 1] = pd.NA
    with pytest.raises(ValueError, match=r"row 5, column \"rpm\" is NaN"):
        quick().fit(nullable)


@pytest.mark.parametrize(
    "bad,message",
    [
        (np.zeros(10), r"must be 2-D .* got shape \(10,\) \(for one sensor, use X.reshape"),
        (np.zeros((4, 3, 2)), r"must be 2-D .* got shape \(4, 3, 2\)"),
        (np.zeros((0, 3)), r"^X has no rows"),
        (np.zeros((5, 0)), r"^X has no columns"),
        (np.array([["a", "b"], ["c", "d"]]), r"must hold numbers; got dtype <U1"),
        (np.ones((5, 2), dtype=complex), r"must hold numbers; got dtype complex128"),
        ([], r"empty list"),
        ([np.ones((50, 5)), np.ones((50, 4))], r"^X\[1\] has 4 columns but X\[0\] has 5"),
        ([np.ones((50, 2)), pd.DataFrame(np.ones((50, 2)))], r"mixes DataFrames and arrays"),
        (pd.Series(np.ones(50)), r"pandas Series: pass a DataFrame"),
    ],
)
def test_bad_input_is_a_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        quick().fit(bad)


def test_the_window_must_fit_every_recording(X):
    with pytest.raises(ValueError, match=r"invalid parameter window = 40: .*\"X\[1\]\" has 30 rows"):
        quick(window=40).fit([X, X[:30]])


def test_predict_before_fit_raises_not_fitted(X):
    with pytest.raises(casc.NotFittedError, match="not fitted yet"):
        quick().predict(X)
    with pytest.raises(AttributeError):
        quick().save("model.casc")
