"""DICOM ingest on loopback: the demo PET sent with dcmtk's ``storescu +sd`` (TCP_NODELAY=1)
to the Positrix node (archive + database), to dcmtk's ``storescp`` (files only, no database)
and to Orthanc (Debian ``orthanc``, default settings) when installed, in the same run.
[goal: node ≥ 300 instances/s]

Run: ``python benchmarks/node/bench_node.py [--pet DIR] [--work DIR]`` (default: the demo
study is made in a temporary folder first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from positrix.facility.db import make_engine
from positrix.facility.people import create_user
from positrix.facility.schema import init_database
from positrix.node.scp import Node, NodeConfig


def _tool(name: str) -> str | None:
    venv = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv)
    return shutil.which(name, path=path)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send(folder: Path, port: int, aet: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [_tool("storescu") or "storescu", "+sd", "-aec", aet, "127.0.0.1", str(port), str(folder)],
        check=True,
        capture_output=True,
        env=os.environ | {"TCP_NODELAY": "1"},
    )
    return time.perf_counter() - started


def _node(folder: Path, work: Path) -> float:
    url = f"sqlite:///{work / 'facility.db'}"
    engine = make_engine(url)
    init_database(engine)
    with Session(engine) as session, session.begin():
        create_user(session, None, "admin", role="admin")
    engine.dispose()
    node = Node(NodeConfig(archive=work / "archive", db_url=url, port=_port()))
    node.start()
    try:
        started = time.perf_counter()
        _send(folder, node.config.port, "POSITRIX")
        node.flush()
        return time.perf_counter() - started
    finally:
        node.stop()


def _storescp(folder: Path, work: Path) -> float | None:
    program = _tool("storescp")
    if program is None:
        return None
    port = _port()
    target = work / "storescp"
    target.mkdir()
    server = subprocess.Popen(
        [program, "-od", str(target), str(port)], env=os.environ | {"TCP_NODELAY": "1"}
    )
    time.sleep(0.5)
    try:
        return _send(folder, port, "STORESCP")
    finally:
        server.terminate()
        server.wait()


def _orthanc(folder: Path, work: Path) -> float | None:
    program = _tool("Orthanc")
    if program is None:
        return None
    port, http = _port(), _port()
    config = work / "orthanc.json"
    config.write_text(
        f'{{"StorageDirectory": "{work / "orthanc"}", "DicomPort": {port}, '
        f'"HttpPort": {http}, "DicomAet": "ORTHANC"}}'
    )
    server = subprocess.Popen(
        [program, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(3)
    try:
        return _send(folder, port, "ORTHANC")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    """Make or take the demo PET, send it to each receiver, print rates and ratios."""
    parser = argparse.ArgumentParser(description="DICOM ingest benchmark")
    parser.add_argument("--pet", help="a DICOM folder (default: the demo PET, made first)")
    parser.add_argument(
        "--work",
        default=None,
        help="where the receivers write (default: the system's temporary folder); all three "
        "write to the same place, so the ratios compare like with like",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        folder = Path(args.pet) if args.pet else None
        if folder is None:
            from positrix.pipeline.demo import run_demo

            run_demo(work / "demo", log=lambda _: None)
            folder = work / "demo" / "dicom" / "pet"
        files = sum(1 for _ in folder.rglob("*.dcm"))
        rates = {}
        for name, measure in (("positrix node", _node), ("dcmtk storescp", _storescp),
                              ("orthanc", _orthanc)):  # fmt: skip
            sub = work / name.replace(" ", "-")
            sub.mkdir()
            seconds = measure(folder, sub)
            if seconds is None:
                print(f"{name}: not installed, skipped")
                continue
            rates[name] = files / seconds
            print(f"{name}: {files} instances in {seconds:.2f} s = {rates[name]:.0f} instances/s")
        node = rates.get("positrix node")
        for peer in ("dcmtk storescp", "orthanc"):
            if node and peer in rates:
                print(f"positrix node / {peer}: {node / rates[peer]:.2f} ×")


if __name__ == "__main__":
    main()
