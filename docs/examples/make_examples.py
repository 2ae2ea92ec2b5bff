"""Make the example kinetic data used in docs/kinetics.md (run from the repository root).

A Feng FDG-like arterial input and 30 mouse-style frames (50 min); the cerebellum is a
one-tissue reference (K1 0.1, k2 0.1 /min), the striatum and cortex one-tissue targets with
BPND 2.0 and 0.5 (R1 1.2), a tumour an irreversible two-tissue region (K1 0.1, k2 0.15,
k3 0.05 /min, vB 0.05).  Noise-free, so every number in the docs can be checked.
"""

from pathlib import Path

import numpy as np

from positrix.kinetics.data import InputFunction
from positrix.kinetics.models.one_tcm import model_1tcm
from positrix.kinetics.models.two_tcm_irr import model_2tcm_irr
from positrix.kinetics.sampling import Sampling

HERE = Path(__file__).resolve().parent


def feng(t):
    a1, a2, a3, l1, l2, l3 = 851.1, 21.88, 20.81, -4.134, -0.1191, -0.01043
    return np.where(
        t > 0, (a1 * t - a2 - a3) * np.exp(l1 * t) + a2 * np.exp(l2 * t) + a3 * np.exp(l3 * t), 0.0
    )


def main() -> None:
    durations = np.array([15] * 8 + [30] * 6 + [60] * 5 + [120] * 5 + [300] * 6, float)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    s = Sampling(starts / 60, durations / 60)
    t = np.arange(0, 50 * 60 + 1, 5.0) / 60  # input sampled every 5 s
    inp = InputFunction(t, feng(t), 0.9 * feng(t))
    regions = {
        "cerebellum": model_1tcm(0.1, 0.1, inp, s),
        "striatum": model_1tcm(0.12, 0.12 / 3.0, inp, s),
        "cortex": model_1tcm(0.12, 0.12 / 1.5, inp, s),
        "tumour": model_2tcm_irr(0.1, 0.15, 0.05, inp, s, vb=0.05),
    }
    lines = ["frame_start_s,frame_duration_s," + ",".join(regions)]
    for f in range(durations.size):
        values = ",".join(f"{regions[r][f]:.8g}" for r in regions)
        lines.append(f"{starts[f]:g},{durations[f]:g},{values}")
    (HERE / "tacs.csv").write_text("\n".join(lines) + "\n")
    rows = ["time_s,plasma,whole_blood"] + [
        f"{60 * x:g},{p:.8g},{b:.8g}" for x, p, b in zip(t, inp.plasma, inp.whole_blood)
    ]
    (HERE / "input.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
