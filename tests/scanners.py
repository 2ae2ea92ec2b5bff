"""Small ring scanners for fast tests: the built-in demo ring with fewer rings."""

import dataclasses

from positrix.geometry.scanner import ScannerGeometry, get_scanner


def mini_scanner(n_rings: int = 16, name: str = "mini") -> ScannerGeometry:
    """The demo ring (16 blocks of 10 crystals, 3.18 mm pitch) with ``n_rings`` rings and
    the default energy and coincidence windows."""
    return dataclasses.replace(
        get_scanner("demo-ring"),
        name=name,
        n_rings=n_rings,
        energy_window_kev=(350.0, 650.0),
        coincidence_window_ns=3.4,
    )
