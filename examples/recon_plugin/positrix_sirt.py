"""SIRT with positivity as a Positrix reconstruction plugin (an example of the API).

``x ← max(0, x + Aᵀ((y − A x − r) / A1) / Aᵀ1)``: the simultaneous iterative
reconstruction technique, the data residual weighted by each bin's row sum and the update
by each voxel's column sum (Gilbert 1972).  It is not a Poisson method; it is here to show
what a plugin gives Positrix: a name, a description, the parameter its trade-off curves run
over, and ``run(model, prompts, additive, *, iterations, callback)``.
"""

from __future__ import annotations

import numpy as np

from positrix.recon.methods import ReconMethod


def run(model, prompts, additive=None, *, iterations, callback=None):
    """``iterations`` SIRT updates of the whole data (no subsets)."""
    operator = model.operators(1)[0]
    y = np.asarray(prompts, dtype=np.float32)
    r = np.zeros_like(y) if additive is None else np.asarray(additive, dtype=np.float32)
    rows = operator.apply(np.ones(model.shape, np.float32))
    columns = operator.adjoint(np.ones_like(y))
    safe_rows = np.where(rows > 0, rows, 1.0)
    safe_columns = np.where(columns > 0, columns, 1.0)
    x = np.full(model.shape, float(y.sum()) / max(float(rows.sum()), 1e-12), np.float32)
    for k in range(iterations):
        residual = np.where(rows > 0, (y - operator.apply(x) - r) / safe_rows, 0.0)
        x = np.maximum(x + operator.adjoint(residual.astype(np.float32)) / safe_columns, 0.0)
        x = x.astype(np.float32)
        if callback is not None:
            callback(k, 0, x)
    return x


METHOD = ReconMethod("sirt", "SIRT with positivity (example plugin)", run)
