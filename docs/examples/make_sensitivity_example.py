"""Make the stepped point-source example of ``positrix nema sensitivity`` (docs/cli.md).

A Na-22 source stepped through five axial positions (30 s each, 5 s bed moves that are not
counted) on the 16-ring test scanner: per step 1000, 2000, 4000, 2000, 1000 prompts and 100,
150, 300, 150, 100 delayeds at uniform random times.  With a 1 MBq source the sensitivity
is ``(prompts − delayeds) / 30 s / (mean activity · β+ fraction)``: 0.003 % … 0.014 %.
Run from the repository root.
"""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from positrix.io.events import ListModeEvents, write_events

HERE = Path(__file__).resolve().parent
STARTS_S, Z_MM = [0.0, 35.0, 70.0, 105.0, 140.0], [-20.0, -10.0, 0.0, 10.0, 20.0]
PROMPTS, DELAYEDS, DURATION_S = [1000, 2000, 4000, 2000, 1000], [100, 150, 300, 150, 100], 30.0


def main() -> None:
    rng = np.random.default_rng(3)
    times, prompt = [], []
    for start, n_p, n_d in zip(STARTS_S, PROMPTS, DELAYEDS, strict=True):
        times.append(rng.uniform(start, start + DURATION_S, n_p + n_d))
        prompt.append(np.arange(n_p + n_d) < n_p)
    for start in STARTS_S[:-1]:  # counts during the bed moves: outside every step
        times.append(rng.uniform(start + DURATION_S, start + 35.0, 100))
        prompt.append(np.ones(100, bool))
    t, p = np.concatenate(times), np.concatenate(prompt)
    order = np.argsort(t)
    zeros = np.zeros(t.size, np.int64)
    start = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    events = ListModeEvents(zeros, zeros, zeros, zeros, t[order], p[order], "mini", start,
                            170.0, "Na-22")  # fmt: skip
    write_events(HERE / "sensitivity_events.npz", events, overwrite=True)
    lines = ["start_s,duration_s,z_mm"]
    lines += [f"{s},{DURATION_S},{z}" for s, z in zip(STARTS_S, Z_MM, strict=True)]
    (HERE / "sensitivity_steps.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
