"""`make lock`: writes `requirements.lock`, every runtime dependency of orderflow pinned with
its hash, as pip resolves them for the image (Linux, CPython 3.11). The Dockerfile installs
from it with `--require-hashes`, so an image is built from exactly what was tested."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def resolved() -> list[tuple[str, str, str]]:
    """(name, version, sha256) of each distribution pip would install for the project."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                str(ROOT),
            ],
            check=True,
        )
        install = json.loads(report.read_text())["install"]
    pins = []
    for item in install:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name.lower() == "orderflow":
            continue
        digest = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        if not digest:
            raise SystemExit(f"{name} {version} was resolved without a sha256")
        pins.append((name.lower().replace("_", "-"), version, digest))
    return sorted(pins)


def main() -> None:
    lines = [
        "# Written by `make lock` (runtime/lockfile.py): the runtime dependencies the image",
        "# installs with --require-hashes (Linux, CPython 3.11). Do not edit by hand.",
        *(f"{name}=={version} --hash=sha256:{digest}" for name, version, digest in resolved()),
    ]
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"wrote {LOCK} ({len(lines) - 2} pins)")


if __name__ == "__main__":
    main()
