"""Kinetics speed on 2 cores (issue goals in brackets):

- voxel-wise SRTM by basis functions, 10⁶ voxels × 30 frames   [< 4 s]
- Logan-ref and Patlak maps, 10⁶ voxels                        [< 0.5 s]
- regional 2TCM fit with vB, per TAC                           [< 50 ms]

Baseline in the same run: niftypad's basis-function SRTM (``pip install niftypad``), timed
on 2 000 voxels and scaled to 10⁶ (it loops over voxels in Python).
"""

from __future__ import annotations

import time

import numpy as np

from positrix.image import FrameTable, Image
from positrix.kinetics.fitting import frame_weights
from positrix.kinetics.maps import MapOptions, parametric_maps
from positrix.kinetics.models.one_tcm import model_1tcm
from positrix.kinetics.models.two_tcm import fit_2tcm, model_2tcm
from positrix.kinetics.sampling import Sampling
from positrix.simulation.input_function import FengInput

#: 30 frames over 50 min (s).
DURATIONS_S = [15] * 8 + [30] * 6 + [60] * 5 + [120] * 5 + [300] * 6
#: Feng et al. 1993 FDG input, unscaled (arbitrary units, min).
FENG = FengInput(851.1, 21.88, 20.81, 4.134, 0.1191, 0.01043)


def feng(t):  # type: ignore[no-untyped-def]
    """The Feng plasma curve at ``t`` min."""
    return FENG.plasma(t)


def sampling() -> Sampling:
    """The benchmark's frames as kinetic sampling (min)."""
    d = np.array(DURATIONS_S, float)
    return Sampling(np.concatenate([[0], np.cumsum(d)[:-1]]) / 60, d / 60)


def timed(function):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    from positrix.kinetics.data import InputFunction

    t = np.arange(0, 61, 1 / 60)
    inp = InputFunction(t, feng(t), 0.9 * feng(t))
    s = sampling()
    reference = model_1tcm(0.1, 0.1, inp, s)
    rng = np.random.default_rng(0)
    bp = rng.uniform(0.2, 3.0, 2000)
    curves = np.stack([model_1tcm(0.12, 0.12 / (1 + b), inp, s) for b in bp])
    data = np.tile(curves, (500, 1)).reshape(100, 100, 100, 30).astype(np.float32)
    table = FrameTable(s.start_min * 60, s.duration_min * 60)
    image = Image(data, np.eye(4), unit="Bq/mL", frames=table)
    mask = np.ones((100, 100, 100), bool)
    opts = MapOptions(tstar_min=10, k2_prime=0.1)
    t_srtm, maps = timed(
        lambda: parametric_maps(image, "srtm", mask=mask, reference=reference, options=opts)
    )
    error = np.abs(maps["BPND"].data.ravel()[:2000] - bp).max()
    t_logan, _ = timed(
        lambda: parametric_maps(image, "logan-ref", mask=mask, reference=reference, options=opts)
    )
    t_patlak, _ = timed(
        lambda: parametric_maps(
            image, "patlak", mask=mask, inp=inp, options=MapOptions(tstar_min=20)
        )
    )
    tac = model_2tcm(0.1, 0.15, 0.08, 0.04, inp, s, vb=0.05)
    w = frame_weights("duration", s, tac)
    fit_2tcm(tac, inp, s, w, vb=None)
    t_fit = min(timed(lambda: fit_2tcm(tac, inp, s, w, vb=None))[0] for _ in range(5))
    print(f"SRTM basis map, 1e6 voxels   {t_srtm:6.2f} s  [< 4 s]  max |ΔBPND| {error:.3f}")
    print(f"Logan-ref map, 1e6 voxels    {t_logan:6.2f} s  [< 0.5 s]")
    print(f"Patlak map, 1e6 voxels       {t_patlak:6.2f} s  [< 0.5 s]")
    print(f"2TCM + vB fit, one TAC       {1000 * t_fit:6.1f} ms [< 50 ms]")
    try:
        from niftypad import basis as np_basis
        from niftypad import models as np_models
    except ImportError:
        print("niftypad not installed: pip install niftypad to compare")
        return
    seconds = np.arange(0, int(sum(DURATIONS_S)) + 1)
    ref_1s = np.interp(seconds / 60, s.mid_min, reference)
    starts = np.cumsum([0, *DURATIONS_S[:-1]])
    dt = np.vstack([starts, starts + np.array(DURATIONS_S)])
    b = np_basis.make_basis(ref_1s, dt, beta_lim=[0.005 / 60, 1.0 / 60], n_beta=100)
    t_np, _ = timed(lambda: [np_models.srtmb_basis(c.copy(), b) for c in curves])
    per_million = t_np / curves.shape[0] * 1e6
    print(
        f"niftypad SRTM basis, 1e6 voxels (scaled from 2000) {per_million:8.1f} s  "
        f"ratio {per_million / t_srtm:6.0f}× slower than Positrix"
    )


if __name__ == "__main__":
    main()
