"""Reuse the small scanner fixtures of tests/recon."""

from tests.recon.conftest import mini_grid, mini_layout

__all__ = ["mini_grid", "mini_layout"]
