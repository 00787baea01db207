#!/usr/bin/env python3
"""The README's GPU figures, measured on any machine with a running Ollama.

    OLLAMA_HOST=127.0.0.1:11434 scripts/gpu-figures.py [--shape llama3-8b-shape] [--out DIR]

Start `ollama serve` with OLLAMA_NUM_PARALLEL=8 first, and have benchmcp on
PATH (or --benchmcp). It creates the real-shaped model with `benchmcp fixture`
(random weights in the shape of a real model: speed depends on shape, not on
weights), then measures, each through benchmcp's own CLI:

1. run_benchmark (`benchmcp run`) against a plain streaming client making the
   same /api/chat requests with as many threads, at concurrency 1 and 8, two
   rounds that alternate which goes first: aggregate output tokens/s (every
   call's tokens over the time calls were in flight, for both) and latency
   percentiles per request;
2. a 2-block sweep's plan (`sweep --plan`) against the sweep's actual time,
   from a server holding no model;
3. a sweep over concurrency 1, 4 and 8: throughput, calls in flight, latency.

It prints a markdown table and writes every raw result as JSON under --out.
Only the Python standard library is used.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

p = argparse.ArgumentParser()
p.add_argument("--shape", default="llama3-8b-shape")
p.add_argument("--benchmcp", default="benchmcp")
p.add_argument("--out", default=".")
p.add_argument("--calls", type=int, default=32, help="tasks per run (one call each)")
p.add_argument("--tokens", type=int, default=128, help="output tokens per call (num_predict)")
p.add_argument("--rounds", type=int, default=2)
a = p.parse_args()
host = os.environ.get("OLLAMA_HOST", "127.0.0.1:11434")
base = host if host.startswith("http") else "http://" + host
os.makedirs(a.out, exist_ok=True)
work = tempfile.mkdtemp(prefix="gpu-figures-")
db = os.path.join(work, "bench.db")
env = dict(os.environ, BENCHMCP_DB=db, BENCHMCP_HOSTS="local=" + base)
tasks = [{"id": f"t{i:02d}", "prompt": f"Write a short story about the number {i}.",
          "checks": [{"type": "contains", "value": "the"}]} for i in range(1, a.calls + 1)]
suite = os.path.join(work, "suite.json")
with open(suite, "w") as f:
    json.dump({"name": "gpu-figures", "tasks": tasks}, f)
options = {"num_predict": a.tokens, "temperature": 1}
found = {}


def log(*x):
    print(*x, file=sys.stderr, flush=True)


def bm(*args, timeout=900):
    t0 = time.time()
    r = subprocess.run([a.benchmcp, *args], env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.time() - t0
    if r.returncode != 0:
        log(r.stdout[-3000:], r.stderr[-3000:])
        raise SystemExit(f"benchmcp {' '.join(args)}: exit {r.returncode}")
    return r.stdout, wall


def save(name, obj):
    found[name] = obj
    with open(os.path.join(a.out, name + ".json"), "w") as f:
        json.dump(obj, f, indent=1)


def api(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.read()


def unload():
    api("/api/generate", {"model": a.shape, "keep_alive": 0})
    for _ in range(600):
        with urllib.request.urlopen(base + "/api/ps") as r:
            if not any(m["name"].startswith(a.shape) for m in json.load(r).get("models", [])):
                return
        time.sleep(0.1)


def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return 0
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def busy(spans):
    """The union of [start, end] spans, in seconds: the time calls were in flight."""
    spans = sorted(spans)
    total, cur = 0.0, list(spans[0])
    for s, e in spans[1:]:
        if s > cur[1]:
            total += cur[1] - cur[0]
            cur = [s, e]
        else:
            cur[1] = max(cur[1], e)
    return total + cur[1] - cur[0]


def plain(threads):
    """The same requests as `benchmcp run`, streamed, with threads at once."""
    queue, lock, out = list(tasks), threading.Lock(), []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                t = queue.pop(0)
            body = {"model": a.shape, "messages": [{"role": "user", "content": t["prompt"]}], "stream": True,
                    "options": dict(options, seed=len(out) + 1)}
            start = time.time()
            req = urllib.request.Request(base + "/api/chat", json.dumps(body).encode(), {"Content-Type": "application/json"})
            last = None
            with urllib.request.urlopen(req) as r:
                for line in r:
                    last = line
            end = time.time()
            with lock:
                out.append((start, end, json.loads(last).get("eval_count", 0)))

    ws = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.time()
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    wall = time.time() - t0
    b = busy([(s, e) for s, e, _ in out])
    lat = [1000 * (e - s) for s, e, _ in out]
    return {"threads": threads, "wall_s": wall, "tokens": sum(n for _, _, n in out), "throughput_tps": sum(n for _, _, n in out) / b,
            "in_flight": sum(e - s for s, e, _ in out) / b, "latency_p50_ms": percentile(lat, 50), "latency_p95_ms": percentile(lat, 95)}


def run(conc):
    out, wall = bm("run", "--model", a.shape, "--suite", suite, "--options", json.dumps(options), "--seed", "7",
                   "--concurrency", str(conc), "--json")
    s = json.loads(out)["summary"]
    return {"concurrency": conc, "command_s": wall, "wall_s": s["wall_seconds"], "throughput_tps": s.get("throughput_tps", 0),
            "in_flight": s.get("in_flight", 0), "latency_p50_ms": s["latency_p50_ms"], "latency_p95_ms": s["latency_p95_ms"],
            "gen_tps": s["gen_tps"], "stream_tps": s.get("stream_tps", 0), "ttft_p50_ms": s["ttft_p50_ms"],
            "prompt_tps": s["prompt_tps"], "memory": s.get("memory")}


with urllib.request.urlopen(base + "/api/version") as r:
    version = json.load(r)["version"]
log("ollama", version, "at", base)
t0 = time.time()
bm("fixture", a.shape, timeout=3600)
save("fixture", {"shape": a.shape, "create_s": time.time() - t0, "ollama": version})
log("fixture created in %.0f s" % found["fixture"]["create_s"])

# 1. run_benchmark against a plain client, same threads, rounds alternating.
unload()
api("/api/generate", {"model": a.shape, "prompt": "", "options": options})  # load once, untimed
pairs = []
for conc in (1, 8):
    for i in range(a.rounds):
        order = ("plain", "bench") if i % 2 == 0 else ("bench", "plain")
        pair = {"concurrency": conc, "round": i + 1}
        for side in order:
            pair[side] = plain(conc) if side == "plain" else run(conc)
            log(conc, side, "%.1f tok/s" % pair[side]["throughput_tps"])
        pairs.append(pair)
save("clients", pairs)

# 2. A 2-block sweep's plan against its actual time, from no model loaded.
sweep_args = ["sweep", "--model", a.shape, "--option", "num_ctx=4096,16384", "--option", "num_predict=%d" % a.tokens,
              "--option", "temperature=1", "--suite", suite, "--seed", "7", "--json"]
unload()
out, _ = bm(*sweep_args, "--plan")
plan = json.loads(out)["plan"]
unload()
out, actual = bm(*sweep_args)
res = json.loads(out)
save("plan", {"plan": plan, "actual_s": actual, "cells": [{"label": c["label"], "memory": c["summary"].get("memory"),
                                                           "load_ms": None} for c in res["cells"]]})
log("plan %.1f s, actual %.1f s" % (plan["estimated_seconds"], actual))

# 3. Concurrency as a sweep axis.
out, wall = bm("sweep", "--model", a.shape, "--concurrency", "1", "--concurrency", "4", "--concurrency", "8",
               "--option", "num_predict=%d" % a.tokens, "--option", "temperature=1", "--suite", suite, "--seed", "7",
               "--objective", "throughput_tps", "--json")
res = json.loads(out)
save("concurrency", {"wall_s": wall, "choice": res.get("choice"), "cells": [
    {"label": c["label"], "throughput_tps": c["summary"].get("throughput_tps"), "in_flight": c["summary"].get("in_flight"),
     "latency_p50_ms": c["summary"]["latency_p50_ms"], "gen_tps": c["summary"]["gen_tps"]} for c in res["cells"]]})

# The table.
print(f"## {a.shape} on Ollama {version}: {a.calls} calls of {a.tokens} tokens\n")
print("| concurrency | round | plain tok/s | benchmcp tok/s | benchmcp/plain | plain p50/p95 ms | benchmcp p50/p95 ms | plain s | benchmcp run s (command) |")
print("|---|---|---|---|---|---|---|---|---|")
for pr in pairs:
    pl, be = pr["plain"], pr["bench"]
    print(f"| {pr['concurrency']} | {pr['round']} | {pl['throughput_tps']:.1f} | {be['throughput_tps']:.1f} | "
          f"{be['throughput_tps'] / pl['throughput_tps']:.3f}x | {pl['latency_p50_ms']:.0f} / {pl['latency_p95_ms']:.0f} | "
          f"{be['latency_p50_ms']:.0f} / {be['latency_p95_ms']:.0f} | {pl['wall_s']:.2f} | {be['wall_s']:.2f} ({be['command_s']:.2f}) |")
b1 = [pr["bench"] for pr in pairs if pr["concurrency"] == 1]
print(f"\ndecode {statistics.median(b['gen_tps'] for b in b1):.0f} tok/s (Ollama), stream {statistics.median(b['stream_tps'] for b in b1):.0f} tok/s, "
      f"TTFT p50 {statistics.median(b['ttft_p50_ms'] for b in b1):.0f} ms, prefill {statistics.median(b['prompt_tps'] for b in b1):.0f} tok/s")
pv = found["plan"]
print(f"\nsweep plan (2 blocks, num_ctx 4096 / 16384): {pv['plan']['estimated_seconds']:.1f} s planned, {pv['actual_s']:.1f} s actual "
      f"({pv['plan']['estimated_seconds'] / pv['actual_s']:.2f}x); probe load {pv['plan']['probes'][0]['load_ms'] / 1000:.1f} s")
for c in pv["cells"]:
    m = c["memory"] or {}
    print(f"- {c['label']}: {m.get('size_bytes', 0) / 2**30:.1f} GiB, GPU share {m.get('gpu_share', 0):.2f}")
print("\n| sweep cell | throughput tok/s | calls in flight | latency p50 ms | decode tok/s per call |")
print("|---|---|---|---|---|")
for c in found["concurrency"]["cells"]:
    print(f"| {c['label']} | {c['throughput_tps']:.0f} | {c['in_flight']:.2f} | {c['latency_p50_ms']:.0f} | {c['gen_tps']:.0f} |")
