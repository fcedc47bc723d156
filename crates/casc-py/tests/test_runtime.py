"""A fit at run time: the GIL released, Ctrl-C and callback exceptions cancel it, progress
events arrive, failures are exceptions (never a dead interpreter)."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import numpy as np
import pytest

import casc
from conftest import fixture_csv, load

HEADER = 8 + 4 + 8 + 4  # magic, format version, payload length, CRC-32


def test_progress_events_reach_the_callback():
    events = []
    est = casc.CASC(n_states=10, window=2).fit(load("paper-w2"), callback=events.append)
    stages = [e["stage"] for e in events if e["event"] == "stage"]
    for stage in ("beta_estimate", "init", "screening", "phase1", "split_merge", "phase2"):
        assert stage in stages
    assert stages.index("init") < stages.index("phase1") < stages.index("phase2")
    iterations = [e for e in events if e["event"] == "iteration"]
    log = est.summary_["iteration_log"]
    assert [(e["phase"], e["iteration"], e["objective"]) for e in iterations] == [
        (i["phase"], i["iteration"], i["objective"]) for i in log
    ]
    assert all(e["event"] in ("stage", "iteration") for e in events)


class Stop(Exception):
    pass


def test_an_exception_in_the_callback_cancels_the_fit_and_is_raised():
    calls = []

    def callback(event):
        calls.append(event)
        if event["event"] == "iteration":
            raise Stop("enough")

    with pytest.raises(Stop, match="enough"):
        casc.CASC(n_states=10, window=2, beta=25.0).fit(load("paper-w2"), callback=callback)
    assert calls[-1]["event"] == "iteration"
    assert sum(e["event"] == "iteration" for e in calls) == 1, "no call after the exception"


def test_the_gil_is_released_during_a_fit():
    X = np.tile(load("paper-w2"), (2, 1))
    done = threading.Event()
    result = {}

    def work():
        result["est"] = casc.CASC(n_states=10, window=2).fit(X)
        done.set()

    ticks = 0
    started = time.perf_counter()
    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        time.sleep(0.005)
        ticks += 1
    t.join()
    seconds = time.perf_counter() - started
    assert "est" in result
    # Holding the GIL, the fit would let this loop run about once; released, it runs all along.
    assert seconds > 0.2, "the fit is too short to tell"
    assert ticks >= 0.2 * seconds / 0.005, (ticks, seconds)


CTRL_C = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    import casc

    # As an interactive interpreter has it, whatever this test was started from: a command
    # started in the background by a non-interactive shell inherits SIGINT ignored, and Python
    # then installs no KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # 120,000 steps: a fit of a few seconds, still running when the signal comes.
    X = np.tile(np.loadtxt(sys.argv[1], delimiter=","), (40, 1))
    said = []

    def callback(event):
        if not said:
            said.append(1)
            print("started", flush=True)

    try:
        casc.CASC(n_states=10, window=2).fit(X, callback=callback)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    """
)


def test_ctrl_c_cancels_a_fit():
    p = subprocess.Popen(
        [sys.executable, "-c", CTRL_C, str(fixture_csv("paper-w2"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout.readline().strip() == "started"
        time.sleep(0.2)
        sent = time.perf_counter()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        latency = time.perf_counter() - sent
    finally:
        p.kill()
    assert out.strip() == "interrupted", err
    assert p.returncode == 0, err
    # Cancelled at the next EM iteration (about 0.1 s here), not at the end of the fit.
    assert latency < 5.0, latency


def corrupt(model_bytes: bytes, old: float, new: float) -> bytes:
    """The model with every `old` value replaced by `new`, the checksum recomputed."""
    payload = model_bytes[HEADER:]
    a, b = struct.pack("<d", old), struct.pack("<d", new)
    assert a in payload
    payload = payload.replace(a, b)
    crc = struct.pack("<I", zlib.crc32(payload) & 0xFFFFFFFF)
    return model_bytes[:20] + crc + payload


def test_a_numerical_failure_is_a_casc_error(cli, tmp_path):
    X = load("paper-eps0.2")
    est = casc.CASC(n_states=4, beta=25.0, motifs=False).fit(X)
    data = est._model.to_bytes()
    # A precision with a negative diagonal cannot be factored: the state cannot be scored.
    broken = corrupt(data, float(est.precisions_[0, 0, 0]), -1.0)
    est._model = casc._casc.Model.from_bytes(broken)
    with pytest.raises(casc.CascError, match="numerical failure: state 0 cannot be scored"):
        est.predict(X)
    assert issubclass(casc.CascError, RuntimeError)
    # The command line calls it a numerical failure too (exit code 4).
    (tmp_path / "broken.casc").write_bytes(broken)
    p = cli.run("predict", tmp_path / "broken.casc", fixture_csv("paper-eps0.2"), "--out", tmp_path / "o", expect=4)
    assert "cannot be scored" in p.stderr


def test_unusable_model_files_are_value_errors_and_missing_ones_os_errors(tmp_path):
    est = casc.CASC(n_states=4, beta=25.0, motifs=False).fit(load("paper-eps0.2"))
    good = est._model.to_bytes()
    (tmp_path / "flipped.casc").write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ValueError, match="corrupted: the checksum does not match"):
        casc.CASC.load(tmp_path / "flipped.casc")
    (tmp_path / "other.casc").write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ValueError, match="not a casc model file"):
        casc.CASC.load(tmp_path / "other.casc")
    with pytest.raises(FileNotFoundError, match="nothing.casc"):
        casc.CASC.load(tmp_path / "nothing.casc")
    with pytest.raises(IsADirectoryError):
        est.save(tmp_path)


def test_more_states_than_the_data_can_hold_is_a_value_error():
    with pytest.raises(ValueError, match="states"):
        casc.CASC(n_states=400).fit(load("paper-eps0.2")[:100])
