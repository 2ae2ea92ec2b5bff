"""Make docs/examples/biodist.csv: an ex-vivo gamma-counter table with known %ID/g.

Two groups (control, treated) of three mice at 60 min after F-18 injection; organs
tumour, liver, muscle with the true %ID/g below (± 10 % between animals).  Each tube is
counted one minute after the previous one, so the counts decay (F-18, 6586.2 s half-life)
and the analysis must decay-correct them to give back the true values.  A 1 % standard
is counted first.  Run from the repository root.
"""

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HALF_LIFE_S = 6586.2
TRUE_PERCENT_ID_PER_G = {
    "control": {"tumour": 6.0, "liver": 2.0, "muscle": 1.0},
    "treated": {"tumour": 3.0, "liver": 2.0, "muscle": 1.0},
}
STANDARD_CPM = 1.0e6  # a 1 % standard at the first count
DOSE_CPM = STANDARD_CPM / 0.01


def main() -> None:
    rng = np.random.default_rng(7)
    start = datetime(2026, 3, 14, 11, 0, 0)
    rows = [["", "", "", "standard", "", f"{STANDARD_CPM:.1f}", start.isoformat(), "0.01"]]
    tube = 1
    for group, organs in TRUE_PERCENT_ID_PER_G.items():
        for animal in range(1, 4):
            for organ, percent_per_g in organs.items():
                weight = round(float(rng.uniform(0.1, 0.4)), 4)
                percent = percent_per_g * float(rng.uniform(0.9, 1.1)) * weight
                when = start + timedelta(minutes=tube)
                decay = 0.5 ** (tube * 60.0 / HALF_LIFE_S)
                counts = DOSE_CPM * percent / 100.0 * decay
                rows.append(
                    [f"{group}-{animal}", group, "60min", organ, f"{weight}",
                     f"{counts:.1f}", when.isoformat(), ""]
                )  # fmt: skip
                tube += 1
    header = "animal,group,timepoint,organ,weight_g,counts,measured_at,standard_fraction"
    lines = [header, *(",".join(r) for r in rows)]
    (HERE / "biodist.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
