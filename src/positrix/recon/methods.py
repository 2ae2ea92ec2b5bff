"""Reconstruction methods as plugins: the built-ins and those other packages register.

A method is a :class:`ReconMethod`: a name, a description, the parameter its trade-off
curves run over (``iterations`` by default) and ``run(model, prompts, additive, *,
iterations, callback)`` returning an image in the units of
:func:`positrix.recon.reconstruct.reconstruct` (counts per mm of line integral) — so every
method goes through the same calibration and analyses.

A researcher adds one without forking Positrix: a package declares an entry point in the
group ``positrix.recon_methods`` whose object is a :class:`ReconMethod` (or a function
returning one), e.g. in its ``pyproject.toml``::

    [project.entry-points."positrix.recon_methods"]
    landweber = "positrix_landweber:METHOD"

``examples/recon_plugin/`` is such a package.  A plugin that fails to load, returns no
``ReconMethod`` or reuses a built-in name is refused with its entry point named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.recon.reconstruct import SystemModel, reconstruct

__all__ = ["ENTRY_POINT_GROUP", "ReconMethod", "available_methods", "get_method"]

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


BUILTIN = {
    "osem": ReconMethod("osem", "OSEM, 8 view subsets", _builtin("osem", subsets=8)),
    "mlem": ReconMethod("mlem", "MLEM (one subset)", _builtin("mlem")),
    "map-rdp": ReconMethod(
        "map-rdp",
        "MAP, relative-difference prior (β 0.5, γ 2), OSL-EM, 8 subsets",
        _builtin("map-rdp", subsets=8, beta=0.5),
    ),
}


def _plugin(entry: Any) -> ReconMethod:
    where = f"{entry.name} = {entry.value}"
    try:
        obj = entry.load()
        method = obj() if callable(obj) and not isinstance(obj, ReconMethod) else obj
    except Exception as err:  # a third party's code: any failure is reported, not raised raw
        raise PositrixError(
            f"the reconstruction plugin '{where}' failed to load ({type(err).__name__}: {err})",
            field=ENTRY_POINT_GROUP,
            fix="fix or uninstall the package that declares it",
        ) from None
    if not isinstance(method, ReconMethod):
        raise PositrixError(
            f"the reconstruction plugin '{where}' gives {type(method).__name__}, not a ReconMethod",
            field=ENTRY_POINT_GROUP,
            fix="point the entry point at a positrix.recon.methods.ReconMethod",
        )
    if method.name in BUILTIN:
        raise PositrixError(
            f"the reconstruction plugin '{where}' reuses the built-in name '{method.name}'",
            field=ENTRY_POINT_GROUP,
            fix="give the method its own name",
        )
    return ReconMethod(method.name, method.description, method.run, method.parameter, where)


def available_methods() -> dict[str, ReconMethod]:
    """The built-in methods and every installed plugin, by name."""
    methods = dict(BUILTIN)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        method = _plugin(entry)
        methods[method.name] = method
    return methods


def get_method(name: str) -> ReconMethod:
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
