#!/usr/bin/env python3
"""Runs every test binary of the workspace, several at a time.

`cargo test --workspace` runs its test binaries one after the other, and
most of a binary's time is spent waiting on DynamoDB Local, moto or a served
platform: while one binary waits, another can run. This runs the binaries
`cargo test --workspace --no-run` builds in a pool of `--jobs` processes,
one per core unless told (each binary runs `RUST_TEST_THREADS` tests at a
time, 4 unless set), the
workspace's doc tests beside them, and prints each binary's whole output
when it ends, so outputs never interleave. It exits 0 only when every
binary passed.

Each binary runs as `cargo test` would run it: from its package's folder,
with `CARGO_MANIFEST_DIR` and `CARGO_PKG_NAME` set. Binaries that took
longest in the previous run start first (the times are kept in
`target/opsflow-test-times.json`); arguments after `--` go to every binary
(a name filter, `--nocapture`).

    python3 infra/local/run_tests.py [--jobs N] [-- ARGS...]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def binaries() -> list[dict]:
    """Every test binary of the workspace, built (cargo's messages say
    where each is and which package it belongs to)."""
    build = subprocess.run(
        ["cargo", "test", "--workspace", "--no-run", "--message-format=json-render-diagnostics"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=False,
        text=True,
    )
    if build.returncode != 0:
        sys.exit(build.returncode)
    found = []
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        if not message["profile"]["test"]:
            continue
        manifest = Path(message["manifest_path"])
        package = package_name(message["package_id"], manifest)
        target = message["target"]
        kind = "tests" if target["kind"] == ["test"] else "unittests"
        found.append(
            {
                "name": f"{package} {kind} {target['name']}",
                "command": [message["executable"]],
                "cwd": manifest.parent,
                "env": {
                    "CARGO_MANIFEST_DIR": str(manifest.parent),
                    "CARGO_PKG_NAME": package,
                },
            }
        )
    return found


def package_name(package_id: str, manifest: Path) -> str:
    """The name in a package id (`path+file:///…/auth#opsflow-fn-auth@0.1.0`,
    or `path+file:///…/local#0.1.0` when it is the folder's name)."""
    fragment = package_id.rpartition("#")[2]
    return fragment.partition("@")[0] if "@" in fragment else manifest.parent.name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("OPSFLOW_TEST_JOBS", os.cpu_count() or 1)),
        help="test binaries run at once (OPSFLOW_TEST_JOBS, one per core unless set)",
    )
    parser.add_argument("args", nargs="*", help="arguments for every test binary")
    options = parser.parse_args()

    jobs = binaries()
    if not jobs:
        print("error: cargo built no test binary", file=sys.stderr)
        return 1
    if not options.args:
        jobs.append(
            {
                "name": "doc tests",
                "command": ["cargo", "test", "--workspace", "--doc", "--quiet"],
                "cwd": ROOT,
                "env": {},
            }
        )
    else:
        for job in jobs:
            job["command"] = job["command"] + options.args

    times_file = target_dir() / "opsflow-test-times.json"
    try:
        previous = json.loads(times_file.read_text())
    except (OSError, ValueError):
        previous = {}
    jobs.sort(key=lambda job: -previous.get(job["name"], 0.0))

    lock = threading.Lock()
    took: dict[str, float] = {}
    failed: list[str] = []
    base_env = dict(os.environ)
    base_env.setdefault("RUST_TEST_THREADS", "4")

    def run(job: dict) -> None:
        started = time.monotonic()
        finished = subprocess.run(
            job["command"],
            cwd=job["cwd"],
            env={**base_env, **job["env"]},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.monotonic() - started
        with lock:
            took[job["name"]] = round(seconds, 2)
            verdict = "ok" if finished.returncode == 0 else f"FAILED (exit {finished.returncode})"
            print(f"\n==> {job['name']}: {verdict} in {seconds:.1f} s", flush=True)
            sys.stdout.buffer.write(finished.stdout)
            sys.stdout.flush()
            if finished.returncode != 0:
                failed.append(job["name"])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        list(pool.map(run, jobs))

    if not options.args:
        times_file.parent.mkdir(parents=True, exist_ok=True)
        times_file.write_text(json.dumps(took, indent=1, sort_keys=True) + "\n")
    print(
        f"\n==> {len(jobs)} test runs, {options.jobs} at a time, "
        f"in {time.monotonic() - started:.1f} s: "
        + ("all passed" if not failed else f"{len(failed)} failed: {', '.join(failed)}")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
