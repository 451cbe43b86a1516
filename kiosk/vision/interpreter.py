"""The one place that loads a ``.tflite`` file, so the runtime behind it can be swapped.

``ai_edge_litert`` is the default; ``tflite_runtime`` (the older standalone wheel some Raspberry Pi OS
images ship) has the same ``Interpreter`` API and is used when the former is missing. XNNPACK stays the
default delegate: it is what makes these small float models fast on the Pi's Cortex-A cores.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# Printed from C++ (not through Python's logging) when the first interpreter of a process is made.
_XNNPACK_INFO = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


class ModelError(RuntimeError):
    """A model file is missing or cannot be loaded; the message names the file."""


def _interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - depends on the device image
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as exc:
            raise ModelError("no TFLite runtime: install ai-edge-litert (or tflite-runtime)") from exc
    return Interpreter


@contextlib.contextmanager
def _without_xnnpack_info() -> Iterator[None]:
    """Keep the runtime's XNNPACK INFO line off stderr (a CLI's stderr is for its own one-line errors,
    and the journal needs no line per start). fd 2 goes to a pipe while the interpreter is made; then
    whatever else arrived there, from any thread, is passed on to the real stderr unchanged."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no usable fd 2 (a closed stderr): nothing to keep clean
        yield
        return
    os.set_blocking(read_end, False)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        caught = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(read_end, 65536):
                caught += chunk
        os.close(read_end)
        rest = b"".join(line for line in caught.splitlines(keepends=True) if not line.startswith(_XNNPACK_INFO))
        if rest:
            os.write(2, rest)


class TfliteModel:
    """A loaded model with one image input; ``run`` returns every output, in the model's order."""

    def __init__(self, path: str | Path, num_threads: int = 2) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"model file not found: {self.path}")
        interpreter = _interpreter_class()
        try:
            with _without_xnnpack_info():
                self._it = interpreter(model_path=str(self.path), num_threads=max(1, int(num_threads)))
                self._it.allocate_tensors()
        except ValueError as exc:
            raise ModelError(f"cannot load model {self.path}: {exc}") from exc
        self._input = self._it.get_input_details()[0]
        self._outputs = self._it.get_output_details()

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._input["shape"])

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the image the model expects."""
        _, h, w, _ = self.input_shape
        return w, h

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run one inference on an NHWC float32 tensor shaped like the input; outputs are copies."""
        self._it.set_tensor(self._input["index"], np.ascontiguousarray(tensor, dtype=self._input["dtype"]))
        self._it.invoke()
        return [self._it.get_tensor(d["index"]).copy() for d in self._outputs]
