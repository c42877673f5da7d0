#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hipc-bench's quick run checked: bench_check.py HIPC_BENCH

The default suite (the seeds' two matrices over every path, the machine's
limits) with 3 transactions per cell; then the CSV and the plot of a few
paths, --duration, and the errors of bad options.
"""
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile

BENCH = sys.argv[1]
TTY = [(512, 1), (512, 2), (512, 4), (512, 8), (1024, 1), (1024, 2),
       (1024, 4), (1024, 5), (2048, 1), (2048, 2), (4096, 1)]
NETLINK = [(512 << i, 1) for i in range(7)]
PATHS = ["bigbuf", "endpoint", "endpoint-irq", "endpoint-poll", "epdev",
         "socket", "tty", "tcp", "unix", "pipe", "pty", "tcp-lo"]
TIMED = ["median_ms", "p99_ms", "max_ms", "kb_s", "msgs_s"]
OPTIONAL = ["doorbells_out_per_mib", "doorbells_in_per_mib", "cpu_s_per_mib",
            "peer_cpu_s_per_mib", "daemon_cpu_s_per_mib", "ratio_to_limit"]
THROUGH_HIPCD = ["epdev", "socket", "tty", "tcp"]
errors = []


def fail(msg):
    errors.append(msg)
    print("FAIL:", msg)


def run(*args, code=0):
    p = subprocess.run([BENCH, *args], capture_output=True, text=True,
                       timeout=150)
    if p.returncode != code:
        print(p.stderr)
        fail(f"hipc-bench {' '.join(args)}: exit {p.returncode}, not {code}")
    return p


def can_tap():
    return os.geteuid() == 0 and os.path.exists("/dev/net/tun")


def finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


def check_json(d):
    lim = d.get("limits")
    if not lim:
        fail("no limits")
    else:
        for k in ["cacheline_rtt_ns", "eventfd_rtt_ns", "ring_rtt_ns",
                  "ring_msgs_s"]:
            if not finite(lim.get(k)) or lim[k] <= 0:
                fail(f"limits.{k} = {lim.get(k)}")
        if not lim.get("memcpy_mb_s"):
            fail("no memcpy figures")
    if d["failed"]:
        fail(f"failed paths: {d['failed']}")
    why = d.get("unavailable_why", {})
    for p in d["unavailable"]:
        if not why.get(p):
            fail(f"{p} unavailable without a reason")
        else:
            print(f"{p}: unavailable: {why[p]}")
    if can_tap() and "tcp" in d["unavailable"]:
        fail("tcp unavailable although root with /dev/net/tun")
    if not can_tap() and "tcp" not in d["unavailable"]:
        fail("tcp measured without root and /dev/net/tun?")
    cells = {(r["suite"], r["path"], r["block"], r["blocks"]): r
             for r in d["results"]}
    for path in PATHS:
        if path in d["unavailable"]:
            continue
        for suite, matrix in (("tty", TTY), ("netlink", NETLINK)):
            for block, n in matrix:
                r = cells.get((suite, path, block, n))
                if not r:
                    fail(f"{path}: no {suite} cell {n} x {block}")
                    continue
                for k in TIMED:
                    if not finite(r[k]) or r[k] <= 0:
                        fail(f"{path} {suite} {n}x{block}: {k} = {r[k]}")
                for k in OPTIONAL:
                    if r[k] is not None and (not finite(r[k]) or r[k] < 0):
                        fail(f"{path} {suite} {n}x{block}: {k} = {r[k]}")
                if r["transactions"] != 3:
                    fail(f"{path}: {r['transactions']} transactions, not 3")
                if path in THROUGH_HIPCD:
                    for k in ["daemon_cpu_s_per_mib", "peer_cpu_s_per_mib",
                              "doorbells_out_per_mib"]:
                        if r[k] is None:
                            fail(f"{path} {suite} {n}x{block}: no {k}")
    print(f"{len(d['results'])} cells checked")


def main():
    p = run("--count", "3", "--runs", "1", "--json")
    try:
        check_json(json.loads(p.stdout))
    except (ValueError, KeyError) as e:
        fail(f"JSON: {e}")

    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "plot.png")
        few = "unix,socket,tcp" if can_tap() else "unix,socket"
        p = run("--paths", few, "--count", "2", "--runs", "1",
                "--no-limits", "--csv", "--plot", png)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        if len(rows) != 18 * len(few.split(",")):
            fail(f"CSV: {len(rows)} rows")
        for r in rows:
            if float(r["median_ms"]) <= 0 or int(r["block"]) <= 0:
                fail(f"CSV row {r}")
            if r["path"] != "unix" and not r["daemon_cpu_s_per_mib"]:
                fail(f"CSV: no daemon CPU for {r['path']}")
        with open(png, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                fail("the plot is not a PNG")

    p = run("--paths", "unix", "--sizes", "512", "--duration", "0.05",
            "--runs", "2", "--no-limits", "--json")
    r = json.loads(p.stdout)["results"][0]
    if r["transactions"] < 2:
        fail(f"--duration: {r['transactions']} transactions")

    for bad in (["--duration", "0"], ["--duration", "-1"],
                ["--duration", "x"], ["--duration", "nan"],
                ["--duration", "1", "--count", "5"], ["--suite", "fast"],
                ["--paths", "nope"]):
        p = run(*bad, code=2)
        if "hipc-bench" not in p.stderr:
            fail(f"{bad}: no message")
    # Transactions over the protocol's 64 MiB: refused before anything
    # runs, naming the limit (a remote would answer "too long").
    for bad in (["--suite", "rate", "--count", "135301"],
                ["--sizes", "32M", "--blocks", "1,3"]):
        p = run(*bad, code=2)
        if "64 MiB" not in p.stderr or p.stdout:
            fail(f"{bad}: {p.stderr!r} {p.stdout!r}")
    if errors:
        sys.exit(1)
    print("ok")


main()
