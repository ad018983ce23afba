"""Array idioms shared by the layers (numpy only, no domain knowledge)."""

from __future__ import annotations

import numpy as np


def range_indices(lo: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The indices lo[k], lo[k] + 1, ..., lo[k] + count[k] - 1 of every k, concatenated."""
    return np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
