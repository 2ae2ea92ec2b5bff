"""Reconstruction and post-processing methods as plugins: the built-ins and those other
packages register.

A reconstruction method is a :class:`ReconMethod`: a name, a description, the parameter its
trade-off curves run over (``iterations`` by default) and ``run(model, prompts, additive,
*, iterations, callback)`` returning an image in the units of
:func:`positrix.recon.reconstruct.reconstruct` (counts per mm of line integral) — so every
method goes through the same calibration and analyses.

A post-processing method is a :class:`PostProcessMethod`: a name, a description, the
reconstruction it works on (``base``, OSEM by default), its parameter's name and the values
its trade-off curves run over, and ``run(image, voxel_size_mm, value)`` returning the
processed image (Bq/mL in, Bq/mL out, the input never modified).  The built-in ``gaussian``
filter is the baseline such methods are compared with.

A researcher adds one without forking Positrix: a package declares an entry point in the
group ``positrix.recon_methods`` whose object is a :class:`ReconMethod` (or a function
returning one), e.g. in its ``pyproject.toml``::

    [project.entry-points."positrix.recon_methods"]
    landweber = "positrix_landweber:METHOD"

``examples/recon_plugin/`` is such a package (SIRT, and a median filter).  A plugin that
fails to load, gives neither a ``ReconMethod`` nor a ``PostProcessMethod``, or reuses a
built-in name is refused with its entry point named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.recon.reconstruct import SystemModel, reconstruct

__all__ = [
    "ENTRY_POINT_GROUP",
    "Method",
    "PostProcessMethod",
    "ReconMethod",
    "available_methods",
    "get_method",
]

ENTRY_POINT_GROUP = "positrix.recon_methods"
Callback = Callable[[int, int, NDArray[np.float32]], None]


@dataclass(frozen=True)
class ReconMethod:
    """A reconstruction method (module docstring)."""

    name: str
    description: str
    run: Callable[..., NDArray[np.float32]]
    parameter: str = "iterations"
    source: str = "built-in"


@dataclass(frozen=True)
class PostProcessMethod:
    """An image-domain method applied to a reconstruction (module docstring).

    Attributes
    ----------
    run
        ``run(image, voxel_size_mm, value)``: ``image`` ``(nx, ny, nz)`` in Bq/mL,
        ``voxel_size_mm`` ``(3,)``, ``value`` one of ``values``; returns a new image.
    values
        The parameter's values, in the order of the trade-off curve.
    base
        The reconstruction method whose final image it processes.
    """

    name: str
    description: str
    run: Callable[..., NDArray[np.float32]]
    values: tuple[float, ...]
    parameter: str
    base: str = "osem"
    source: str = "built-in"


#: Either kind of method.
Method = ReconMethod | PostProcessMethod


def _gaussian(image: ArrayLike, voxel_size_mm: ArrayLike, value: float) -> NDArray[np.float32]:
    """Gaussian filter of FWHM ``value`` (mm); 0 returns a copy."""
    data = np.array(image, dtype=np.float32)
    if value <= 0:
        return data
    sigma = value / np.sqrt(8.0 * np.log(2.0)) / np.asarray(voxel_size_mm, dtype=np.float64)
    return ndimage.gaussian_filter(data, sigma, mode="nearest").astype(np.float32)


def _builtin(algorithm: str, **options: Any) -> Callable[..., NDArray[np.float32]]:
    def run(
        model: SystemModel,
        prompts: NDArray[np.float32],
        additive: NDArray[np.float32] | None = None,
        *,
        iterations: int,
        callback: Callback | None = None,
    ) -> NDArray[np.float32]:
        return reconstruct(
            model,
            prompts,
            randoms=additive,
            algorithm=algorithm,
            iterations=iterations,
            callback=callback,
            **options,
        )

    return run


BUILTIN: dict[str, Method] = {
    "osem": ReconMethod("osem", "OSEM, 8 view subsets", _builtin("osem", subsets=8)),
    "mlem": ReconMethod("mlem", "MLEM (one subset)", _builtin("mlem")),
    "map-rdp": ReconMethod(
        "map-rdp",
        "MAP, relative-difference prior (β 0.5, γ 2), OSL-EM, 8 subsets",
        _builtin("map-rdp", subsets=8, beta=0.5),
    ),
    "gaussian": PostProcessMethod(
        "gaussian",
        "Gaussian post-filter of OSEM, FWHM 0–5 mm",
        _gaussian,
        (0.0, 1.0, 2.0, 3.0, 4.0, 5.0),
        "fwhm_mm",
    ),
}


def _plugin(entry: Any) -> Method:
    where = f"{entry.name} = {entry.value}"
    try:
        obj = entry.load()
        method = obj() if callable(obj) and not isinstance(obj, Method) else obj
    except Exception as err:  # a third party's code: any failure is reported, not raised raw
        raise PositrixError(
            f"the reconstruction plugin '{where}' failed to load ({type(err).__name__}: {err})",
            field=ENTRY_POINT_GROUP,
            fix="fix or uninstall the package that declares it",
        ) from None
    if not isinstance(method, Method):
        raise PositrixError(
            f"the reconstruction plugin '{where}' gives {type(method).__name__}, not a "
            "ReconMethod or PostProcessMethod",
            field=ENTRY_POINT_GROUP,
            fix="point the entry point at a positrix.recon.methods.ReconMethod or "
            "PostProcessMethod",
        )
    if method.name in BUILTIN:
        raise PositrixError(
            f"the reconstruction plugin '{where}' reuses the built-in name '{method.name}'",
            field=ENTRY_POINT_GROUP,
            fix="give the method its own name",
        )
    if isinstance(method, PostProcessMethod) and (
        not method.values or not isinstance(BUILTIN.get(method.base), ReconMethod)
    ):
        raise PositrixError(
            f"the post-processing plugin '{where}' needs parameter values and a built-in "
            f"base reconstruction (got {len(method.values)} value(s), base '{method.base}')",
            field=ENTRY_POINT_GROUP,
            fix="give values=(…) and base = one of "
            + ", ".join(n for n, m in BUILTIN.items() if isinstance(m, ReconMethod)),
        )
    return dataclasses.replace(method, source=where)


def available_methods() -> dict[str, Method]:
    """The built-in methods and every installed plugin, by name."""
    methods = dict(BUILTIN)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        method = _plugin(entry)
        methods[method.name] = method
    return methods


def get_method(name: str) -> Method:
    """A method by name; an unknown name lists those available."""
    methods = available_methods()
    if name not in methods:
        raise PositrixError(
            f"no reconstruction method '{name}'",
            field="--method",
            fix="use one of " + ", ".join(methods) + " (plugins: entry-point group "
            f"{ENTRY_POINT_GROUP})",
        )
    return methods[name]
