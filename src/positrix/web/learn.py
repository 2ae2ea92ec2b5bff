"""The public "Learn PET" page: no login; a visitor simulates a small scan and sees the
sinogram, the reconstruction and the truth side by side.  One simulation at a time per
server process (others are told to retry), results cached by their parameters."""

from __future__ import annotations

import base64
import io
import threading
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from positrix.web.deps import MaybeUser

__all__ = ["router"]

router = APIRouter(tags=["learn"])
_ONE_AT_A_TIME = threading.Semaphore(1)


def _png(result: Any) -> str:
    from positrix.figures import pyplot

    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(11, 3.6), dpi=90)
    top = float(max(result.truth_bq_ml.max(), result.slice_bq_ml.max())) / 1000.0
    panels = (
        (result.sinogram.T, "sinogram, central plane", "counts", None),
        (result.slice_bq_ml.T / 1000.0, "reconstruction", "kBq/mL", top),
        (result.truth_bq_ml.T / 1000.0, "truth", "kBq/mL", top),
    )
    for ax, (data, title, unit, vmax) in zip(axes, panels, strict=True):
        shown = ax.imshow(
            data,
            cmap="gray" if unit == "counts" else "hot",
            origin="lower",
            vmin=0,
            vmax=vmax,
            aspect="auto" if unit == "counts" else "equal",
        )
        ax.set_title(title)
        ax.set_xlabel("radial bin" if unit == "counts" else "x (voxel)")
        ax.set_ylabel("view" if unit == "counts" else "y (voxel)")
        figure.colorbar(shown, ax=ax, label=unit, shrink=0.8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


@lru_cache(maxsize=32)
def _scan(phantom: str, activity_mbq: float, scan_s: float, attenuation: bool, scatter: bool,
          positron_range: bool) -> dict[str, Any]:  # fmt: skip
    from positrix.pipeline.teaching import explain, summary, teaching_scan

    result = teaching_scan(
        phantom,
        activity_mbq=activity_mbq,
        scan_s=scan_s,
        attenuation=attenuation,
        scatter=scatter,
        positron_range=positron_range,
    )
    return {
        "png": _png(result),
        "sentence": explain(
            attenuation=attenuation, scatter=scatter, positron_range=positron_range
        ),
        **summary(result),
    }


@router.get("/api/learn/scan")
def scan(phantom: str = "nema", activity_mbq: float = 5.0, scan_s: float = 30.0,
         attenuation: bool = True, scatter: bool = True,
         positron_range: bool = False) -> dict[str, Any]:  # fmt: skip
    """Simulate and reconstruct (public; bounded: 0.1–20 MBq, 1–120 s, one at a time)."""
    if not _ONE_AT_A_TIME.acquire(timeout=30):
        raise HTTPException(status_code=503, detail="the simulator is busy; try again")
    try:
        return _scan(
            phantom, round(activity_mbq, 2), round(scan_s, 1), attenuation, scatter, positron_range
        )
    finally:
        _ONE_AT_A_TIME.release()


@router.get("/learn", response_class=HTMLResponse)
def learn(request: Request, user: MaybeUser) -> HTMLResponse:
    """The public teaching page."""
    from positrix.pipeline.teaching import LIMITS, PHANTOMS

    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "learn.html", {"user": user, "phantoms": list(PHANTOMS), "limits": LIMITS}
    )
