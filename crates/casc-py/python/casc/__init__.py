"""casc: hidden states and recurring motifs in multivariate sensor time series.

TICC (Toeplitz inverse covariance clustering) segments a series into states, each a sparse
Gaussian dependency network between the sensors over a short window, with a penalty per
switch; CASC/MASA then finds the sequences of states that recur more often than chance
(motifs) and uses them to repair noisy segments. The work is done by the casc Rust library,
the same code as the ``casc`` command line, with the GIL released.

The estimator follows scikit-learn's conventions: parameters in the constructor,
``fit``/``predict``/``fit_predict``, ``get_params``/``set_params``, fitted attributes with a
trailing underscore.

>>> import numpy as np
>>> import casc
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(level, 1.0, size=(100, 3)) for level in (0, 6, 0, 6)])
>>> est = casc.CASC(n_states=2, beta=25.0, motifs=False, random_state=0).fit(X)
>>> est.labels_.shape
(400,)
>>> bool(est.labels_[50] == est.labels_[250]), bool(est.labels_[50] != est.labels_[150])
(True, True)
>>> bool((est.predict(X) == est.labels_).all())
True
"""

from __future__ import annotations

import bisect
import dataclasses
import inspect
import json
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _casc
from ._casc import CascError

__all__ = ["CASC", "CascError", "Instance", "Motif", "NotFittedError", "__version__"]

__version__: str = _casc.__version__

# Every default comes from the library (FitParams::new), read once here.
_DEFAULTS: Dict[str, Any] = _casc.defaults()


class NotFittedError(ValueError, AttributeError):
    """The estimator was used before ``fit`` (or ``CASC.load``); as scikit-learn's, it is both
    a ``ValueError`` and an ``AttributeError``."""


@dataclasses.dataclass(frozen=True)
class Instance:
    """One occurrence of a motif.

    Attributes
    ----------
    recording : int
        The recording it is in (0 for a single array; the index in the list otherwise).
    start, end : int
        Its first and last timestep, counted inside the recording; ``end`` is inclusive, as in
        the command line's ``motifs.json`` (``labels[start:end + 1]`` is the instance).
    stages : tuple of (int, int)
        The ``(start, end)`` (inclusive) of every stage, one per state of the motif.
    score : float
        The instance's score (log-odds against the plain assignment plus the motif's score).
    """

    recording: int
    start: int
    end: int
    stages: Tuple[Tuple[int, int], ...]
    score: float


@dataclasses.dataclass(frozen=True)
class Motif:
    """A sequence of states that recurs more often than chance.

    Attributes
    ----------
    states : tuple of int
        The states, in order.
    score : float
        The motif's score (G-test against the null).
    p_value : float
        The p-value of its significance test (may underflow to 0).
    instances : tuple of Instance
        Its instances in time order (empty for a model read from a file, which keeps the
        motifs but not the data they were found in).
    """

    states: Tuple[int, ...]
    score: float
    p_value: float
    instances: Tuple[Instance, ...]


ArrayLike = Any
"""A 2-D array (timesteps x sensors), a pandas DataFrame, or a list of them."""


def _is_frame(x: Any) -> bool:
    return hasattr(x, "columns") and hasattr(x, "dtypes") and hasattr(x, "to_numpy")


def _frame_array(x: Any, at: str) -> Tuple[np.ndarray, List[str]]:
    """A DataFrame's values (a view when they are one float block) and column names."""
    names = [str(c) for c in x.columns]
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{at}: the column {name!r} appears twice")
        seen.add(name)
    dtypes = list(x.dtypes)
    for name, dt in zip(names, dtypes):
        if getattr(dt, "kind", "O") not in "biuf":
            raise ValueError(
                f"{at}: column {name!r} is not numeric (dtype {dt}); "
                "casc takes numbers only: drop or encode it"
            )
    if (
        dtypes
        and all(isinstance(dt, np.dtype) for dt in dtypes)
        and len(set(dtypes)) == 1
        and dtypes[0] in (np.float64, np.float32)
    ):
        return x.to_numpy(), names
    return x.to_numpy(dtype=np.float64, na_value=np.nan), names


def _array(x: Any, at: str) -> np.ndarray:
    """A 2-D float64 or float32 array: ``x`` itself when it is one, else a converted copy."""
    if hasattr(x, "to_frame") and hasattr(x, "index"):
        raise ValueError(f"{at} is a pandas Series: pass a DataFrame (series.to_frame())")
    a = np.asarray(x)
    if a.ndim != 2:
        hint = " (for one sensor, use X.reshape(-1, 1))" if a.ndim == 1 else ""
        raise ValueError(
            f"{at} must be 2-D (timesteps x sensors); got shape {a.shape}{hint}"
        )
    kind = a.dtype.kind
    if kind == "f" and a.dtype.itemsize in (4, 8):
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        return a
    if kind in "biuf":
        return a.astype(np.float64)
    raise ValueError(f"{at} must hold numbers; got dtype {a.dtype}")


class _Data:
    """X as the native module takes it: arrays, column names, column orders, lengths."""

    def __init__(self, X: ArrayLike) -> None:
        many = isinstance(X, (list, tuple)) and all(
            isinstance(x, np.ndarray) or _is_frame(x) for x in X
        )
        if isinstance(X, (list, tuple)) and not X:
            raise ValueError("X is an empty list: give at least one recording")
        items = list(X) if many else [X]
        frames = [_is_frame(x) for x in items]
        if any(frames) and not all(frames):
            raise ValueError("X mixes DataFrames and arrays: give one kind")
        self.many = many
        self.arrays: List[np.ndarray] = []
        self.names: Optional[List[str]] = None
        self.columns: Optional[List[Optional[List[int]]]] = None
        for i, x in enumerate(items):
            at = f"X[{i}]" if many else "X"
            if frames[i]:
                a, names = _frame_array(x, at)
                if self.names is None:
                    self.names = names
                    self.columns = [None]
                elif names == self.names:
                    self.columns.append(None)  # type: ignore[union-attr]
                else:
                    missing = [n for n in self.names if n not in names]
                    extra = [n for n in names if n not in self.names]
                    if missing or extra:
                        raise ValueError(
                            f"{at}'s columns differ from X[0]'s: missing {missing}, "
                            f"not in X[0] {extra}"
                        )
                    self.columns.append([names.index(n) for n in self.names])  # type: ignore[union-attr]
            else:
                a = _array(x, at)
            self.arrays.append(a)
        self.lengths = [int(a.shape[0]) for a in self.arrays]
        self.offsets = [0]
        for n in self.lengths:
            self.offsets.append(self.offsets[-1] + n)

    def reorder(self, order: List[int]) -> None:
        """Takes the named columns in ``order`` (indices into ``names``)."""
        assert self.names is not None and self.columns is not None
        self.columns = [
            [own[j] for j in order] if own is not None else list(order)
            for own in self.columns
        ]
        self.names = [self.names[j] for j in order]

    def split(self, labels: np.ndarray) -> Union[np.ndarray, List[np.ndarray]]:
        """Labels over the concatenated recordings, as X came: one array, or one per recording."""
        if not self.many:
            return labels
        return [labels[a:b] for a, b in zip(self.offsets, self.offsets[1:])]

    def motifs(self, raw: Sequence[Any]) -> List[Motif]:
        """Motifs with instances in the concatenated series, counted inside their recordings."""
        out = []
        for states, score, p_value, instances in raw:
            found = []
            for start, end, stage_starts, inst_score in instances:
                r = bisect.bisect_right(self.offsets, start) - 1
                off = self.offsets[r]
                bounds = list(stage_starts[1:]) + [end + 1]
                stages = tuple(
                    (int(s - off), int(e - 1 - off)) for s, e in zip(stage_starts, bounds)
                )
                found.append(
                    Instance(r, int(start - off), int(end - off), stages, float(inst_score))
                )
            out.append(Motif(tuple(states), float(score), float(p_value), tuple(found)))
        return out


def _motifs_of_model(raw: Sequence[Any]) -> List[Motif]:
    return [Motif(tuple(s), float(sc), float(p), ()) for s, sc, p, _ in raw]


class CASC:
    """TICC states and CASC motifs of a multivariate time series, scikit-learn style.

    The parameters are the command line's (``casc fit --help``), with the same defaults (read
    from the library) and the same messages: a value out of range raises ``ValueError`` when
    the estimator is made, when ``set_params`` changes it, and at ``fit``.

    Parameters
    ----------
    n_states : int, tuple (int, int) or "auto"
        Number of states K; a tuple ``(min, max)``: chosen from the data among ``min`` to
        ``max`` inclusive (``--states min..max``); or ``"auto"``: chosen from the data among 1
        to 12 (``--states auto``).
    window : int or "auto", default from the library
        Window length w: consecutive observations per stacked window, or ``"auto"``: chosen
        from the data (``--window``).
    mean : {"stationary", "free"}, default "stationary"
        A state's mean over the window: ``"stationary"``, the same at every position (like
        the Toeplitz precision), or ``"free"``, a vector over the window (the reference's)
        (``--mean``).
    costs : {"window", "conditional"}, default "window"
        How a timestep is scored: ``"window"``, by the window that starts at it (TICC's), or
        ``"conditional"``, given the w - 1 steps before it, each observation counted once
        (``--costs``).
    lam : float, default 1e-3
        Sparsity penalty lambda of the graphical lasso (``--lambda``).
    beta : float or "auto", default "auto"
        Switching penalty (cost units: twice the negative log-likelihood); ``"auto"``
        estimates it from the data, starting from the paper's 25.
    gamma : float, default 0.8
        Motif aggressiveness in (0, 1]: lower repairs more.
    motifs : bool, default True
        Whether to run the motif phase (``False`` is ``--no-motifs``: TICC only).
    random_state : int, numpy Generator or RandomState, or None, default None
        Seed of every random choice (``--seed``). ``None`` is the library's seed, so that a
        fit is reproducible by default; a Generator or RandomState draws the seed.
    max_iters : int, default 15
        Maximum EM iterations of phase 1 (TICC).
    motif_iters : int, default 10
        Maximum EM iterations of phase 2 (motifs).
    motif_min_instances : int, default 10
        Instances a motif needs to be kept.
    max_motifs : int, default 50
        Candidate motifs kept per iteration.
    motif_null : {"markov", "independent"}, default "markov"
        Null model of the motifs' significance test: ``"markov"``, a first-order chain over
        segments without self-transitions, or ``"independent"``, the reference's
        (``--motif-null``).
    motif_correction : {"bonferroni", "bh"}, default "bonferroni"
        Correction for testing many candidate motifs: ``"bonferroni"`` or ``"bh"``
        (Benjamini-Hochberg) (``--motif-correction``).
    min_stage_fraction : float in (0, 1] or "off", default 0.25
        Segments shorter than this fraction of the typical segment are flicker, not stages,
        and a motif's stages last at least this fraction of their median duration; ``"off"``
        ignores durations (the reference's) (``--min-stage-fraction``).
    split_merge : bool, default True
        The split-and-merge refinement after phase 1 (``False`` is ``--no-split-merge``).
    standardize : bool, default False
        Standardise every sensor (mean 0, sd 1) before fitting; the model remembers the scales.

    Attributes
    ----------
    labels_ : ndarray of int64, or list of them
        The final state of every timestep of the data fitted (one array per recording when X
        was a list).
    phase1_labels_ : ndarray of int64, or list of them
        The states after phase 1 (TICC and its split-and-merge refinement).
    means_ : ndarray of shape (n_states, window * n_sensors)
        Each state's mean over a stacked window (oldest observation first).
    precisions_ : ndarray of shape (n_states, window * n_sensors, window * n_sensors)
        Each state's block-Toeplitz precision matrix (the dependency network).
    motifs_ : list of Motif
        The motifs kept, with their instances in the data fitted.
    bic_ : float
        Bayesian information criterion of the fit (lower is better).
    beta_ : float
        The switching penalty used (the estimate, with ``beta="auto"``).
    summary_ : dict
        The command line's ``summary.json`` of the fit: parameters, iterations, convergence,
        seconds per phase, the beta estimates, the per-iteration log.
    n_features_in_ : int
        Number of sensors.
    feature_names_in_ : ndarray of str
        The column names, when X was a DataFrame (they are matched on ``predict``).

    Examples
    --------
    >>> import numpy as np
    >>> import casc
    >>> rng = np.random.default_rng(1)
    >>> X = np.concatenate([rng.normal(level, 1.0, size=(80, 2)) for level in (0, 5) * 3])
    >>> est = casc.CASC(n_states=2, beta=25.0, motifs=False).fit(X)
    >>> len(set(est.labels_[:80])), bool(est.labels_[0] != est.labels_[80])
    (1, True)
    >>> est.means_.shape, est.precisions_.shape
    ((2, 2), (2, 2, 2))
    >>> est.get_params()["beta"]
    25.0
    """

    def __init__(
        self,
        n_states: Union[int, str, Tuple[int, int]],
        *,
        window: Union[int, str] = _DEFAULTS["window"],
        mean: str = _DEFAULTS["mean"],
        costs: str = _DEFAULTS["costs"],
        lam: float = _DEFAULTS["lam"],
        beta: Union[float, str] = _DEFAULTS["beta"],
        gamma: float = _DEFAULTS["gamma"],
        motifs: bool = _DEFAULTS["motifs"],
        random_state: Any = _DEFAULTS["random_state"],
        max_iters: int = _DEFAULTS["max_iters"],
        motif_iters: int = _DEFAULTS["motif_iters"],
        motif_min_instances: int = _DEFAULTS["motif_min_instances"],
        max_motifs: int = _DEFAULTS["max_motifs"],
        motif_null: str = _DEFAULTS["motif_null"],
        motif_correction: str = _DEFAULTS["motif_correction"],
        min_stage_fraction: Union[float, str] = _DEFAULTS["min_stage_fraction"],
        split_merge: bool = _DEFAULTS["split_merge"],
        standardize: bool = _DEFAULTS["standardize"],
    ) -> None:
        self.n_states = n_states
        self.window = window
        self.mean = mean
        self.costs = costs
        self.lam = lam
        self.beta = beta
        self.gamma = gamma
        self.motifs = motifs
        self.random_state = random_state
        self.max_iters = max_iters
        self.motif_iters = motif_iters
        self.motif_min_instances = motif_min_instances
        self.max_motifs = max_motifs
        self.motif_null = motif_null
        self.motif_correction = motif_correction
        self.min_stage_fraction = min_stage_fraction
        self.split_merge = split_merge
        self.standardize = standardize
        self._check(self.get_params())

    # ------------------------------------------------------------------ parameters

    @classmethod
    def _get_param_names(cls) -> List[str]:
        """The constructor's parameters, in order (as scikit-learn finds them)."""
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The parameters, as given to the constructor or ``set_params`` (the same objects)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> "CASC":
        """Sets parameters by name and returns the estimator; ``ValueError`` for an unknown
        name or a value out of range (the estimator is then left as it was)."""
        names = self._get_param_names()
        for name in params:
            if name not in names:
                raise ValueError(
                    f"invalid parameter {name!r} for estimator CASC; "
                    f"valid parameters are {', '.join(names)}"
                )
        merged = {**self.get_params(), **params}
        self._check(merged)
        for name, value in params.items():
            setattr(self, name, value)
        return self

    @staticmethod
    def _seed(random_state: Any) -> Any:
        """``random_state`` as the native module takes it: None or an int (drawn from a
        Generator or RandomState)."""
        if isinstance(random_state, np.random.Generator):
            return int(random_state.integers(0, 2**63))
        if isinstance(random_state, np.random.RandomState):
            return int(random_state.randint(0, 2**31))
        return random_state

    @staticmethod
    def _check(params: Dict[str, Any]) -> None:
        rs = params["random_state"]
        if isinstance(rs, (np.random.Generator, np.random.RandomState)):
            params = {**params, "random_state": None}
        _casc.check_params(params)

    def _fit_params(self) -> Dict[str, Any]:
        params = self.get_params()
        params["random_state"] = self._seed(params["random_state"])
        return params

    def __repr__(self) -> str:
        shown = []
        for name, value in self.get_params().items():
            default = _DEFAULTS.get(name, inspect.Parameter.empty)
            if name == "n_states" or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"CASC({', '.join(shown)})"

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X: ArrayLike,
        y: Any = None,
        *,
        callback: Optional[Callable[[Dict[str, Any]], Any]] = None,
    ) -> "CASC":
        """Fits the states (and the motifs) to X and returns the estimator.

        Parameters
        ----------
        X : array-like of shape (timesteps, sensors), DataFrame, or list of them
            A 2-D array (float64 or float32, any memory order; other numbers are converted),
            a pandas DataFrame (numeric columns; their names are kept and matched on
            ``predict``), or a list of arrays or DataFrames, one per recording: one shared
            model over independent recordings (no window, switch or motif crosses from one to
            the next), as ``casc fit`` with several files or ``--sequence-column``.
        y : ignored
            Present for scikit-learn pipelines.
        callback : callable, optional
            Called on this thread with every progress event, a dict: ``{"event": "stage",
            "stage": "phase1", ...}`` when a stage starts, ``{"event": "iteration", "phase":
            1, "iteration": 0, "objective": ..., ...}`` after each EM iteration. An exception
            it raises cancels the fit and is raised by ``fit``.

        The GIL is released while the fit runs; Ctrl-C (``KeyboardInterrupt``) cancels it at
        its next EM iteration. Raises ``ValueError`` for parameters or data that cannot be
        used and ``casc.CascError`` for a numerical failure.
        """
        params = self._fit_params()
        data = _Data(X)
        relay = None
        if callback is not None:

            def relay(text: str) -> None:
                callback(json.loads(text))

        out = _casc.fit(data.arrays, params, data.names, data.columns, data.many, relay)
        for stale in ("feature_names_in_",):
            self.__dict__.pop(stale, None)
        self._set_model(out.model)
        self.labels_ = data.split(out.labels)
        self.phase1_labels_ = data.split(out.phase1_labels)
        self.motifs_ = data.motifs(out.motifs)
        self.bic_ = float(out.bic)
        self.summary_ = json.loads(out.summary)
        return self

    def _set_model(self, model: Any) -> None:
        self._model = model
        self.means_ = model.means()
        self.precisions_ = model.precisions()
        self.beta_ = float(model.beta)
        self.n_features_in_ = int(model.n_sensors)
        if model.named:
            self.feature_names_in_ = np.asarray(model.sensor_names, dtype=object)

    def _fitted(self) -> Any:
        model = self.__dict__.get("_model")
        if model is None:
            raise NotFittedError(
                "this CASC is not fitted yet: call fit(X) first, or CASC.load(path)"
            )
        return model

    def _predict(self, X: ArrayLike) -> Tuple[_Data, Any, Any]:
        model = self._fitted()
        data = _Data(X)
        if data.names is not None:
            data.reorder(model.column_order(data.names))
        labels, motifs = model.predict(data.arrays, data.names, data.columns, data.many)
        return data, labels, motifs

    def predict(self, X: ArrayLike) -> Union[np.ndarray, List[np.ndarray]]:
        """The state of every timestep of X under the fitted model (the saved states, the
        switching penalty and the motifs, without refitting), as ``casc predict`` does.

        X is as in ``fit``. A DataFrame's columns are matched to the sensors by name (reordered
        when they come in another order; ``ValueError`` listing the missing and unexpected
        names otherwise), unless the model was fitted on unnamed data. Returns an int64 array,
        or one per recording when X is a list.
        """
        data, labels, _ = self._predict(X)
        return data.split(labels)

    def predict_motifs(self, X: ArrayLike) -> List[Motif]:
        """The instances of the model's motifs in X (as ``casc predict`` writes them to
        ``motifs.json``); X as in ``predict``."""
        data, _, motifs = self._predict(X)
        return data.motifs(motifs)

    def fit_predict(
        self,
        X: ArrayLike,
        y: Any = None,
        *,
        callback: Optional[Callable[[Dict[str, Any]], Any]] = None,
    ) -> Union[np.ndarray, List[np.ndarray]]:
        """Fits to X and returns ``labels_``."""
        return self.fit(X, callback=callback).labels_

    # ------------------------------------------------------------------ files

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the fitted model as a ``model.casc`` file, the command line's format:
        ``casc predict model.casc data.csv --out DIR`` applies it to new data."""
        self._fitted().save(os.fspath(path))

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "CASC":
        """Reads a ``model.casc`` file (written by ``casc fit`` or ``save``) into a fitted
        estimator: its parameters are the model's, and ``predict`` works; the attributes of
        the data it was fitted on (``labels_``, ``bic_``, ``summary_``) are absent, and its
        ``motifs_`` have no instances."""
        model = _casc.Model.load(os.fspath(path))
        est = cls(**model.params())
        est._set_model(model)
        est.motifs_ = _motifs_of_model(model.motifs())
        return est


def _same(a: Any, b: Any) -> bool:
    """Whether a parameter value is its default (for the repr)."""
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # pragma: no cover - a value whose == raises is shown
        return False
