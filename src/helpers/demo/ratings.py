"""The observed mean of a latent satisfaction on a 1-5 scale: shared by the demo generator and simulators."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

#: sd of the latent satisfaction of one response (1-5 scale)
LATENT_SD = 0.85
CUTS = np.array([1.5, 2.5, 3.5, 4.5])


def expected_rating(mu, sd: float = LATENT_SD):
    """Mean of ``round(N(mu, sd))`` clipped to 1..5: the observed mean rating of a latent satisfaction ``mu``.

    A scalar ``mu`` gives a float, an array gives an array of the same shape.
    """
    arr = np.asarray(mu, dtype=float)
    out = 1.0 + norm.sf((CUTS - arr[..., None]) / sd).sum(axis=-1)
    return float(out) if out.ndim == 0 else out
