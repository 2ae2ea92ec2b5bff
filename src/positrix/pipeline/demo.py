"""The main job on the built-in demo study: simulate → DICOM → read back → quantify.

Later issues grow this into the full raw-to-report pipeline.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import OverwriteError
from positrix.image.dynamic import decay_correct, frame
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.summary import summarize
from positrix.io import load, save
from positrix.quant.labels import LabelImage, load_labels, save_labels
from positrix.quant.lesion import lesion_metrics
from positrix.quant.stats import region_stats
from positrix.quant.tac import extract_tacs, plot_tacs, plot_title, write_tacs
from positrix.quant.units import convert_units
from positrix.simulation.demo_mouse import ORGANS, DemoStudy, demo_mouse_study

__all__ = ["activity_check", "run_demo"]

_PARTS = ("dicom/pet", "dicom/ct", "quant", "kinetics", "recon", "nema", "facility", "processed")


def activity_check(pet: Image) -> list[dict[str, float]]:
    """Activity in the field of view per frame against the injected activity decayed.

    Both are frame means in Bq; for the demo mouse (all activity in the field of view)
    their ratio must be 1 within the int16 precision of the DICOM files.
    """
    assert pet.injection is not None and pet.frames is not None
    injected = pet.injection.net_activity_bq
    uncorrected = decay_correct(pet, to=None)  # frame-mean activity concentrations
    injection_s = pet.frames.seconds_from_start(pet.injection.injection_time)  # type: ignore[arg-type]
    rows = []
    for f in range(pet.n_frames):
        in_fov = float(np.sum(uncorrected.frame_data(f), dtype=np.float64)) * pet.voxel_volume_ml
        # mean of A0·exp(-λt) over the frame = A0 · exp(-λ t_s) / within-frame factor
        expected = injected / float(
            pet.frames.decay_correction_factors(pet.injection.nuclide, reference=injection_s)[f]  # type: ignore[arg-type]
        )
        rows.append(
            {
                "frame": f,
                "activity_in_fov_bq": in_fov,
                "expected_bq": expected,
                "ratio": in_fov / expected,
            }
        )
    return rows


def run_demo(
    out: str | Path = "demo-output",
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the demo: build the study, write it as DICOM under ``out``, read it back.

    Parameters
    ----------
    out
        Output folder.
    force
        Replace the demo's own earlier output (``out/dicom/pet`` and ``out/dicom/ct``).
    log
        Where progress lines go.

    Returns
    -------
    dict
        ``{"pet": summary, "ct": summary, "activity_check": [...], "quant": {...},
        "files": n}``.
    """
    out = Path(out)
    for part in _PARTS:
        target = out / part
        if target.exists():
            if not force:
                raise OverwriteError(
                    "demo output already exists",
                    source=target,
                    fix="pass --force to replace the demo's earlier output",
                )
            shutil.rmtree(target)
    log("[1/9] building the demo mouse study (F-18 FDG, dynamic PET + CT)")
    study = demo_mouse_study()
    log(f"[2/9] writing DICOM to {out / 'dicom'}")
    files = save(study.pet, out / "dicom/pet", log=log) + save(study.ct, out / "dicom/ct", log=log)
    log(f"      {len(files)} files written")
    log("[3/9] reading the series back")
    pet, ct = load(out / "dicom/pet", log=log), load(out / "dicom/ct", log=log)
    log(f"[4/9] quantifying: organ VOIs, TACs, SUV, tumour metrics → {out / 'quant'}")
    quant = quantify(pet, study, out / "quant")
    log(f"[5/9] kinetics: image-derived input, Patlak per organ and a Ki map → {out / 'kinetics'}")
    kinetic = kinetics(pet, out / "quant" / "labels.nii.gz", out / "kinetics", log=log)
    log(
        f"[6/9] reconstruction: a simulated scan of the last frame, every correction → "
        f"{out / 'recon'}"
    )
    recon = reconstruction(study, out / "recon", log=log)
    log(f"[7/9] quality control: NEMA NU 4 image-quality phantom, simulated → {out / 'nema'}")
    nema = nema_qc(out / "nema", log=log)
    log(f"[8/9] the demo facility: 185 projects, three years of bookings → {out / 'facility'}")
    facility = demo_facility(out / "facility")
    log(f"[9/9] the study pipeline: the demo protocol and the report → {out / 'processed'}")
    report = study_report(out, log=log)
    return {
        "pet": summarize(pet),
        "ct": summarize(ct),
        "activity_check": activity_check(pet),
        "quant": quant,
        "kinetics": kinetic,
        "recon": recon,
        "nema": nema,
        "facility": facility,
        "report": report,
        "files": len(files),
    }


def quantify(pet: Image, study: DemoStudy, folder: Path) -> dict[str, Any]:
    """Organ TACs (Bq/mL), late-frame SUVbw and %ID/g per organ, tumour metrics.

    The organ VOIs are the phantom's own label image, saved as ``labels.nii.gz`` + ``.tsv``
    (as if drawn by a user) and read back like any user's labels.
    """
    names = {n: name for n, name in enumerate(study.label_names, start=1)}
    save_labels(LabelImage(study.labels, pet.grid, names), folder / "labels.nii.gz", like=pet)
    vois = load_labels(folder / "labels.nii.gz").vois()
    tacs = extract_tacs(pet, vois)
    write_tacs(tacs, folder / "tacs.csv")
    plot_tacs(tacs, folder / "tacs.png", title=plot_title(pet))
    late = frame(pet, -1)
    suv = {r.region: r.mean for r in region_stats(convert_units(late, "SUVbw"), vois, peak_ml=0)}
    percent = convert_units(late, "%ID/g")
    per_gram = {r.region: r.mean for r in region_stats(percent, vois, peak_ml=0)}
    total = float(percent.data.sum(dtype=np.float64)) * percent.voxel_volume_ml
    bq_ml = {r.region: r.mean for r in region_stats(late, vois, peak_ml=0)}
    tumour_centre = ORGANS["tumour"][0]
    lesion = lesion_metrics(late, tumour_centre)
    organs = [
        {
            "organ": name,
            "mean_bq_per_ml": bq_ml[name],
            "suv_bw": suv[name],
            "percent_id_per_g": per_gram[name],
        }
        for name in tacs.regions
    ]
    _write_csv(folder / "uptake.csv", organs, note="last frame, decay-corrected to injection")
    _write_csv(folder / "tumour.csv", [_scalar_fields(lesion.to_dict())], note="last frame")
    return {
        "organs": organs,
        "percent_id_in_fov": total,
        "tumour": lesion.to_dict(),
        "files": [
            "labels.nii.gz",
            "labels.tsv",
            "tacs.csv",
            "tacs.png",
            "uptake.csv",
            "tumour.csv",
        ],
    }


def _scalar_fields(metrics: dict[str, Any]) -> dict[str, Any]:
    """The scalar fields of a dict (a table row)."""
    return {k: v for k, v in metrics.items() if not isinstance(v, list | dict)}


def _write_csv(path: Path, rows: list[dict[str, Any]], *, note: str) -> None:
    """A CSV table with a ``# note`` line above the header (names carry the units)."""
    import csv

    with path.open("x", newline="", encoding="utf-8") as handle:
        handle.write(f"# {note}\n")
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def kinetics(
    pet: Image, labels_path: Path, folder: Path, *, log: Callable[[str], None]
) -> dict[str, Any]:
    """Patlak Ki per organ and as a map, from an image-derived input (the heart's blood pool).

    The demo organs are not compartment systems, so the numbers show the workflow, not a
    truth to reach; t* = 5 min.
    """
    from positrix.kinetics.maps import MapOptions, parametric_maps
    from positrix.pipeline.process import kinetic_rows
    from positrix.quant.idif import image_derived_input

    labels = load_labels(labels_path)
    settings = {
        "input_region": "heart",
        "regions": ["tumour", "brain", "liver", "kidneys"],
        "tstar_min": 5.0,
    }
    rows = kinetic_rows(pet, labels, settings)
    organs = {r["region"]: r["value"] for r in rows}
    flags = {r["region"]: r["flags"] for r in rows}
    inp = image_derived_input(pet, next(v for v in labels.vois() if v.name == "heart"))
    body = labels.labels > 0
    maps = parametric_maps(
        pet, "patlak", mask=body, inp=inp, options=MapOptions(tstar_min=5.0), log=log
    )
    save(maps["Ki"], folder / "patlak_Ki.nii.gz")
    return {
        "patlak_ki_per_min": organs,
        "flags": flags,
        "files": ["patlak_Ki.nii.gz", "patlak_Ki.json"],
    }


def reconstruction(study: DemoStudy, folder: Path, *, log: Callable[[str], None]) -> dict[str, Any]:
    """Simulate 5 min of the last frame's activity (trues with attenuation from the CT,
    crystal efficiencies, single scatter, randoms), reconstruct with every correction and
    compare organ means with the truth.

    The µ-map comes from the CT (HU → µ at 511 keV, 80 kVp bilinear); scatter is estimated
    from a first reconstruction; the normalisation is known (the simulated efficiencies).
    """
    from positrix.geometry.scanner import get_scanner
    from positrix.geometry.sinogram import SinogramLayout
    from positrix.image.grid import Grid
    from positrix.image.resample import resample_to
    from positrix.recon.calibration import nominal_calibration, to_concentration
    from positrix.recon.corrections.attenuation import attenuation_factors, hu_to_mu
    from positrix.recon.corrections.normalisation import Normalisation
    from positrix.recon.corrections.randoms import randoms_from_delayeds
    from positrix.recon.corrections.scatter import estimate_scatter
    from positrix.recon.reconstruct import SystemModel, default_grid, grid_affine, reconstruct
    from positrix.simulation.sinogram import simulate_sinograms

    scanner = get_scanner("demo-ring")
    layout = SinogramLayout(scanner, span=3)
    shape, voxel = default_grid(scanner)
    grid = Grid(shape, grid_affine(shape, voxel))
    truth = np.asarray(resample_to(frame(study.pet, -1), grid).data, dtype=np.float32)
    hu = resample_to(study.ct, grid, fill_value=-1000.0).data
    mu = hu_to_mu(hu, kvp=80)
    labels = np.asarray(
        resample_to(
            Image(study.labels.astype(np.float32), study.pet.affine, unit="label"), grid, order=0
        ).data,
        dtype=np.int16,
    )
    rng = np.random.default_rng(11)
    efficiencies = rng.lognormal(0.0, 0.08, (scanner.n_rings, scanner.crystals_per_ring))
    efficiencies /= efficiencies.mean()
    k, duration = nominal_calibration(scanner), 300.0
    sim = simulate_sinograms(
        layout,
        truth,
        mu,
        voxel,
        duration_s=duration,
        nuclide="F-18",
        calibration=k,
        efficiencies=efficiencies,
        singles_cps=np.full(efficiencies.shape, 3000.0),
        seed=3,
    )
    norm = Normalisation(efficiencies, np.ones(layout.n_radial)).factors(layout)
    attenuation = attenuation_factors(layout, mu, voxel)
    model = SystemModel(layout, shape, voxel, efficiency=norm, attenuation=attenuation)
    randoms = randoms_from_delayeds(layout, sim.delayeds)
    first = reconstruct(model, sim.prompts, randoms=randoms, iterations=1, subsets=8)
    scatter = estimate_scatter(
        layout,
        first,
        mu,
        voxel,
        prompts=sim.prompts,
        efficiency=norm,
        attenuation=attenuation,
        randoms=randoms,
    )
    image = reconstruct(
        model, sim.prompts, randoms=randoms, scatter=scatter.sinogram, iterations=3, subsets=8
    )
    bq_ml = to_concentration(image, calibration=k, duration_s=duration, nuclide="F-18")
    # three more iterations from there: how far each organ is from convergence
    more = reconstruct(
        model,
        sim.prompts,
        randoms=randoms,
        scatter=scatter.sinogram,
        iterations=3,
        subsets=8,
        start=image,
    )
    bq_ml_6 = to_concentration(more, calibration=k, duration_s=duration, nuclide="F-18")
    # the simulated scan starts when the last frame does; values are decay-corrected to then
    assert study.pet.frames is not None and study.pet.frames.acquisition_start is not None
    start = study.pet.frames.acquisition_start + timedelta(
        seconds=float(study.pet.frames.start_s[-1])
    )
    save(
        Image(
            bq_ml,
            grid.affine,
            unit="Bq/mL",
            frames=FrameTable([0.0], [duration], start),
            decay_reference=start,
            subject=study.pet.subject,
            injection=study.pet.injection,
            scanner=scanner.name,
            reconstruction="OSEM 3i8s span 3, all corrections",
        ),
        folder / "osem.nii.gz",
        overwrite=True,
    )
    organs, organs_6 = {}, {}
    for number, name in enumerate(ORGANS, start=1):
        inside = labels == number
        if np.count_nonzero(inside) >= 50:
            organs[name] = round(float(bq_ml[inside].mean() / truth[inside].mean()), 3)
            organs_6[name] = round(float(bq_ml_6[inside].mean() / truth[inside].mean()), 3)
    return {
        "prompts": float(sim.prompts.sum()),
        "scatter_per_trues": float(sim.scatter.sum() / sim.trues.sum()),
        "randoms_fraction": float(sim.randoms.sum() / sim.prompts.sum()),
        "scatter_fraction": round(scatter.scatter_fraction, 4),
        "organ_recovery": organs,
        "organ_recovery_6_iterations": organs_6,
        "files": ["osem.nii.gz", "osem.json"],
    }


def study_report(out: Path, *, log: Callable[[str], None]) -> dict[str, Any]:
    """The demo study through the package's demo protocol (``positrix process``): images,
    VOIs, tables, TACs, Patlak and the HTML + PDF report in ``out/processed``."""
    from importlib.resources import files

    from positrix.pipeline.process import process_study
    from positrix.pipeline.protocol import load_protocol

    protocol = load_protocol(Path(str(files("positrix") / "data" / "demo-protocol.toml")))
    results = process_study(
        out, protocol, out=out / "processed", log=lambda line: log("      " + line)
    )
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"the demo protocol failed at {failed[0].step}: {failed[0].reason}")
    report = out / "processed" / "report"
    return {
        "html": str(report / "report.html"),
        "pdf": str(report / "report.pdf"),
        "seconds": round(sum(r.seconds for r in results), 1),
    }


def demo_facility(folder: Path, *, year: int = 2026) -> dict[str, Any]:
    """Seed the demo facility database (``facility.db``) and summarise ``year``'s service
    hours as the centre reports them to its funders."""
    from sqlalchemy.orm import Session

    from positrix.facility.db import make_engine
    from positrix.facility.demo_facility import seed_demo_facility, service_summary
    from positrix.facility.people import get_user
    from positrix.facility.schema import init_database

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "facility.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        init_database(engine)
        with Session(engine) as session, session.begin():
            counts = seed_demo_facility(session, start_year=year - 2, years=3)
        with Session(engine) as session:
            summary = service_summary(session, get_user(session, "staff0"), year)
    finally:
        engine.dispose()
    return {"database": str(path), "counts": counts, **summary}


def nema_qc(folder: Path, *, log: Callable[[str], None]) -> dict[str, Any]:
    """Simulate the NEMA IQ phantom (3.7 MBq F-18, 1 min) on the demo ring, reconstruct it
    with every correction and run the NU 4 image-quality analysis (``iq_analysis.json``)."""
    import json
    from datetime import UTC, datetime

    from positrix.geometry.scanner import get_scanner
    from positrix.image.subject import Subject
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide
    from positrix.quant.nema import nema_iq
    from positrix.recon.corrections.attenuation import hu_to_mu
    from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors
    from positrix.recon.study import ReconOptions, reconstruct_sinogram
    from positrix.simulation.phantoms import nema_iq_phantom
    from positrix.simulation.scan import simulate_scan

    scanner = get_scanner("demo-ring")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    scan = simulate_scan(
        nema_iq_phantom(),
        scanner,
        nuclide="F-18",
        activity_bq=3.7e6,
        frames=FrameTable([0.0], [60.0], None),
        seed=5,
    )
    sino = scan.acquisition[0].sinograms
    randoms = crystal_pair_sinogram(scan.layout, fit_crystal_factors(scan.layout, sino.delayeds))
    image = reconstruct_sinogram(
        scan.layout,
        sino.prompts,
        options=ReconOptions(iterations=2, subsets=8),
        duration_s=60.0,
        nuclide="F-18",
        randoms=randoms,
        mu_per_mm=hu_to_mu(scan.ct_hu, kvp=80),
        acquisition_start=start,  # decay-corrected to the start
    )
    image = image.replace(
        subject=Subject(id="NEMA NU 4 IQ phantom", species="phantom"),
        injection=Injection(
            nuclide=get_nuclide("F-18"),
            tracer="F-18 (NEMA NU 4 IQ phantom fill)",
            injection_time=start,
            activity_before_bq=3.7e6,
            activity_before_time=start,
        ),
        description="NEMA NU 4 image quality, demo ring",
    )
    folder.mkdir(parents=True, exist_ok=True)
    save(image, folder / "iq.nii.gz")  # with its sidecar iq.json
    ct = Image(scan.ct_hu, image.affine, unit="HU", modality="CT")
    result = nema_iq(image, ct=ct).to_dict()
    (folder / "iq_analysis.json").write_text(json.dumps(result, indent=1, default=float))
    truth = scan.region_truth["uniform"][0]
    return {
        "prompts": float(sino.prompts.sum()),
        "uniform_ratio": result["uniformity"]["mean"] / truth,
        **result,
        "files": ["iq.nii.gz", "iq.json", "iq_analysis.json"],
    }
