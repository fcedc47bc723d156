"""Type stubs of casc._casc, the native half of the casc package (see crates/casc-py/src)."""

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypedDict, Union

import numpy as np
import numpy.typing as npt

__version__: str
FORMAT_VERSION: int
POLL_SECONDS: float

# (start, end inclusive, stage_starts, score), in the concatenated series.
RawInstance = Tuple[int, int, List[int], float]
# (states, score, p_value, instances).
RawMotif = Tuple[List[int], float, float, List[RawInstance]]
Columns = Optional[Sequence[Optional[Sequence[int]]]]
# The estimator's parameters (casc.CASC's names, param_names()'s order), as Model.params gives
# them and fit and check_params take them (a dict of every name); defaults() gives them but
# n_states, with random_state None. The strings are the command line's spellings (taken in any
# case, given back in lower case).
Params = TypedDict(
    "Params",
    {
        "n_states": Union[int, str, Tuple[int, int]],  # K, (min, max) or "auto"
        "window": Union[int, str],  # w or "auto"
        "mean": str,  # "stationary" or "free"
        "costs": str,  # "window" or "conditional"
        "lam": float,
        "beta": Union[float, str],  # a number or "auto"
        "gamma": float,
        "motifs": bool,
        "random_state": Optional[int],
        "max_iters": int,
        "motif_iters": int,
        "motif_min_instances": int,
        "max_motifs": int,
        "motif_null": str,  # "markov" or "independent"
        "motif_correction": str,  # "bonferroni" or "bh"
        "min_stage_fraction": Union[float, str],  # in (0, 1], or "off"
        "split_merge": bool,
        "standardize": bool,
    },
)

class CascError(RuntimeError):
    """A numerical failure of a fit or a prediction."""

class Model:
    """A fitted model: the command line's model.casc."""

    @staticmethod
    def load(path: Union[str, os.PathLike[str]]) -> Model: ...
    @staticmethod
    def from_bytes(data: bytes) -> Model: ...
    def save(self, path: Union[str, os.PathLike[str]]) -> None: ...
    def to_bytes(self) -> bytes: ...
    def __reduce__(self) -> Tuple[Callable[[bytes], Model], Tuple[bytes]]: ...
    @property
    def n_states(self) -> int: ...
    @property
    def n_sensors(self) -> int: ...
    @property
    def window(self) -> int: ...
    @property
    def beta(self) -> float: ...
    @property
    def sensor_names(self) -> List[str]: ...
    @property
    def named(self) -> bool: ...
    def params(self) -> Params: ...
    def means(self) -> npt.NDArray[np.float64]: ...
    def precisions(self) -> npt.NDArray[np.float64]: ...
    def motifs(self) -> List[RawMotif]: ...
    def column_order(self, names: Sequence[str]) -> List[int]: ...
    def predict(
        self,
        arrays: Sequence[npt.NDArray[Any]],
        names: Optional[Sequence[str]] = None,
        columns: Columns = None,
        many: bool = False,
    ) -> Tuple[npt.NDArray[np.int64], List[RawMotif]]: ...

class FitOutcome:
    """What fit returns to the estimator."""

    @property
    def model(self) -> Model: ...
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def phase1_labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def motifs(self) -> List[RawMotif]: ...
    @property
    def bic(self) -> float: ...
    @property
    def beta(self) -> float: ...
    @property
    def summary(self) -> str: ...

def fit(
    arrays: Sequence[npt.NDArray[Any]],
    params: Dict[str, Any],  # Params
    names: Optional[Sequence[str]] = None,
    columns: Columns = None,
    many: bool = False,
    callback: Optional[Callable[[str], Any]] = None,
) -> FitOutcome: ...
def model_from_bytes(data: bytes) -> Model: ...
def defaults() -> Dict[str, Any]: ...
def default_seed() -> int: ...
def param_names() -> List[str]: ...
def check_params(params: Dict[str, Any]) -> None: ...  # Params
