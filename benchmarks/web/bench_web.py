"""Loopback load test of ``positrix serve`` (issue goals in brackets); bounded, stops itself.

- 50 users for 60 s browsing the dashboard, a project page, the session page and the
  viewer's PET volume (gzip NIfTI in SUVbw), each pausing ``--think`` s (0.5) between
  requests, plus 5 writers booking without pause:                  [0 errors]
- p95 page latency                                                   [≤ 200 ms]
- p95 volume latency                                                 [≤ 300 ms]
- a worker process killed a third of the way in: the server keeps answering (uvicorn's
  supervisor starts a new one) and no acknowledged booking is lost or duplicated.

The load generator runs on the same machine as the server (loopback), so on a small machine
it takes its share of the cores.  Baseline in the same run: the same requests by one user on
the idle server; the ratios show what 50 concurrent users cost.

Run: ``python benchmarks/web/bench_web.py [--seconds 60] [--users 50] [--data DIR]``
(``--data`` reuses a demo site made earlier; otherwise one is made, about a minute).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from positrix.pipeline.demo_site import DEMO_PASSWORD, prepare_demo_site

#: The writers book from Monday 2027-01-04 00:00 UTC on, within the demo protocols' validity.
_FIRST = 1798934400


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(base: str, user: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30.0)
    answer = client.post("/api/login", json={"username": user, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return client, answer.json()["csrf"]


def _browse(base: str, site: dict, stop: threading.Event, out: dict) -> None:
    client, _ = _client(base, "r000")
    pages = ["/", f"/projects/{site['project']}", f"/sessions/{site['session_id']}"]
    k = 0
    while not stop.is_set():
        path = pages[k % 3] if k % 4 else "/api/series/1/volume.nii.gz?unit=SUVbw"
        kind = "volume" if path.startswith("/api/series") else "page"
        started = time.perf_counter()
        try:
            answer = client.get(path)
            ok = answer.status_code == 200
        except httpx.HTTPError:
            ok = False
        out[kind].append(time.perf_counter() - started)
        if not ok:
            out["errors"].append(path)
        k += 1
        stop.wait(out["think_s"])
    client.close()


def _write(base: str, site: dict, lane: int, stop: threading.Event, out: dict) -> None:
    client, csrf = _client(base, "staff0")
    hour = 0
    while not stop.is_set() and hour < 24 * 20:
        start = time.gmtime(_FIRST + lane * 86400 * 30 + hour * 3600)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", start)
        end = time.strftime("%Y-%m-%dT%H:50:00+00:00", start)
        body = {
            "instrument": "inveon",
            "project": site["project"],
            "user": "r000",
            "start": stamp,
            "end": end,
        }
        started = time.perf_counter()
        try:
            answer = client.post("/api/bookings", json=body, headers={"X-CSRF-Token": csrf})
            out["write"].append(time.perf_counter() - started)
            if answer.status_code == 201:
                out["booked"].append((answer.json()["id"], stamp))
            else:
                out["errors"].append(f"book {answer.status_code} {answer.text[:80]}")
        except httpx.HTTPError as err:
            out["errors"].append(f"book {type(err).__name__}")
        hour += 1
    client.close()


def _baseline(base: str, site: dict, rounds: int = 40) -> dict[str, float]:
    client, _ = _client(base, "r000")
    times: dict[str, list[float]] = {"page": [], "volume": []}
    for k in range(rounds):
        for kind, path in (("page", f"/projects/{site['project']}"),
                           ("volume", "/api/series/1/volume.nii.gz?unit=SUVbw")):  # fmt: skip
            started = time.perf_counter()
            client.get(path).raise_for_status()
            if k:  # the first round warms the cache
                times[kind].append(time.perf_counter() - started)
    client.close()
    return {kind: float(np.percentile(v, 95)) for kind, v in times.items()}


def _workers(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def main() -> None:
    """Make or reuse the demo site, serve it with 4 workers, load it, kill a worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="server worker processes (default: one per core)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="pause of each user between requests (s; 0: a stress test)",
    )
    parser.add_argument("--data", help="a folder holding a demo site made earlier")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data or tmp)
        site = prepare_demo_site(data, log=lambda line: None)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "positrix.cli.main",
                "serve",
                "--db",
                site["db_url"],
                "--data",
                str(data),
                "--port",
                str(port),
                "--workers",
                "4",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _run(base, site, server, args)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def _wait_up(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _run(base: str, site: dict, server: subprocess.Popen, args: argparse.Namespace) -> None:
    _wait_up(base)
    baseline = _baseline(base, site)
    out: dict[str, Any] = {
        "page": [],
        "volume": [],
        "write": [],
        "errors": [],
        "booked": [],
        "think_s": args.think,
    }
    stop = threading.Event()
    threads = [
        threading.Thread(target=_browse, args=(base, site, stop, out)) for _ in range(args.users)
    ]
    threads += [
        threading.Thread(target=_write, args=(base, site, k, stop, out))
        for k in range(args.writers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    killed = None
    while time.monotonic() - started < args.seconds:
        time.sleep(0.5)
        if killed is None and time.monotonic() - started > args.seconds / 3:
            victims = _workers(server.pid)
            if victims:
                killed = victims[0]
                os.kill(killed, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    _report(base, site, out, baseline, elapsed, killed, args)


def _report(base: str, site: dict, out: dict, baseline: dict, elapsed: float,
            killed: int | None, args: argparse.Namespace) -> None:  # fmt: skip
    client, _ = _client(base, "staff0")
    stored: list[int] = []
    for lane in range(args.writers):
        day = time.gmtime(_FIRST + lane * 86400 * 30)
        for week in range(4):
            monday = time.strftime(
                "%Y-%m-%d", time.gmtime(time.mktime(day) - day.tm_wday * 86400 + week * 7 * 86400)
            )
            answer = client.get("/api/bookings", params={"instrument": "inveon", "week": monday})
            stored += [b["id"] for b in answer.json()]
    acknowledged = [i for i, _ in out["booked"]]
    lost = sorted(set(acknowledged) - set(stored))
    duplicated = len(acknowledged) - len(set(acknowledged)) + len(stored) - len(set(stored))
    page95 = float(np.percentile(out["page"], 95)) if out["page"] else float("nan")
    volume95 = float(np.percentile(out["volume"], 95)) if out["volume"] else float("nan")
    requests = len(out["page"]) + len(out["volume"])
    print(
        f"{args.users} users + {args.writers} writers for {elapsed:.0f} s, {args.workers} workers: "
        f"{requests} reads ({requests / elapsed:.0f}/s), {len(acknowledged)} bookings, "
        f"{len(out['errors'])} errors [0]"
    )
    print(
        f"p95 page {page95 * 1000:.0f} ms [≤ 200] (one user alone: "
        f"{baseline['page'] * 1000:.0f} ms, {page95 / baseline['page']:.1f} ×); p95 volume "
        f"{volume95 * 1000:.0f} ms [≤ 300] (alone {baseline['volume'] * 1000:.0f} ms, "
        f"{volume95 / baseline['volume']:.1f} ×)"
    )
    write95 = float(np.percentile(out["write"], 95)) if out["write"] else float("nan")
    print(f"p95 booking {write95 * 1000:.0f} ms; users pause {args.think:g} s between requests")
    print(
        f"worker {killed} killed at {args.seconds / 3:.0f} s; after the run "
        f"{len(lost)} acknowledged bookings lost, {duplicated} duplicated [0, 0]"
    )
    for error in sorted(set(out["errors"]))[:5]:
        print(f"  error: {error}")
    csrf = client.get("/api/me").json()["csrf"]
    for booking in acknowledged:  # leave the site as it was, so that a rerun finds free slots
        client.post(f"/api/bookings/{booking}/cancel", headers={"X-CSRF-Token": csrf})
    client.close()


if __name__ == "__main__":
    main()
