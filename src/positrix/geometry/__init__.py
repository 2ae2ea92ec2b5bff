"""Layer 3: scanner descriptions as data (crystals, rings, LORs)."""

from positrix.geometry.scanner import ScannerGeometry, get_scanner, load_scanner

__all__ = ["ScannerGeometry", "get_scanner", "load_scanner"]
