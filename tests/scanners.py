"""Small ring scanners for fast tests (Inveon ring diameter, 160 crystals of 3.18 mm)."""

from positrix.geometry.scanner import ScannerGeometry


def mini_scanner(n_rings: int = 16, name: str = "mini") -> ScannerGeometry:
    """A 16-block ring of 10 crystals (3.18 mm pitch) with ``n_rings`` rings."""
    return ScannerGeometry(
        name=name,
        blocks_per_ring=16,
        crystals_per_block=10,
        n_rings=n_rings,
        transaxial_pitch_mm=3.18,
        axial_pitch_mm=3.18,
        crystal_size_mm=(3.0, 3.0, 10.0),
        ring_diameter_mm=161.0,
        mean_doi_mm=4.58,
    )
