#!/usr/bin/env python3
"""Why `benchmcp run` at concurrency 8 read 0.35-0.44x of a plain client's
throughput on an H100 (README, "On a GPU"), when it reads 1.00x at
concurrency 1 and on the CPU at every concurrency.

    OLLAMA_HOST=127.0.0.1:11434 scripts/gpu-concurrency-diag.py OUTDIR

Needs `ollama serve` with OLLAMA_NUM_PARALLEL=8, the model already created
(scripts/gpu-figures.py creates it; M= names another, TOK= the output tokens
per call) and benchmcp on PATH. Each line is one experiment: aggregate
tok/s, per-call decode rates (Ollama's) and latencies. A plain client
replays the request sequence benchmcp sent in that run, before its warm-up
calls stopped repeating the timed prompts (C: the probe call, the untimed
warm-up round of the same 8 requests, then the timed pool of 8; D: the same
with the warm-up on another seed) beside plain pools (A, F, H, I) and
benchmcp itself (B, G): if C is slow like B, the sequence of requests slows
Ollama, whoever sends it (and today's benchmcp, B and G, should no longer
be slow); if only B and G are slow, benchmcp's client does.
Writes OUTDIR/diag.json.
"""
import json, os, subprocess, sys, threading, time, urllib.request, tempfile
host = os.environ.get("OLLAMA_HOST", "127.0.0.1:11434"); base = "http://" + host
M = os.environ.get("M", "llama3-8b-shape"); OUT = sys.argv[1]; TOK = int(os.environ.get("TOK", "128"))
S = 1711099005
work = tempfile.mkdtemp(); db = os.path.join(work, "b.db")
env = dict(os.environ, BENCHMCP_DB=db, BENCHMCP_HOSTS="local=" + base)
tasks = [f"Write a short story about the number {i}." for i in range(1, 17)]
json.dump({"name": "g", "tasks": [{"id": f"t{i+1:02d}", "prompt": p, "checks": [{"type": "contains", "value": "the"}]} for i, p in enumerate(tasks)]}, open(work + "/s.json", "w"))
res = {}
def log(*a): print(*a, flush=True)
def api(path, body):
    r = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(r) as f: return f.read()
def chat(prompt, seed):
    body = {"model": M, "messages": [{"role": "user", "content": prompt}], "stream": True, "options": {"num_predict": TOK, "seed": seed, "temperature": 1}}
    t = time.time(); last = None
    with urllib.request.urlopen(urllib.request.Request(base + "/api/chat", json.dumps(body).encode(), {"Content-Type": "application/json"})) as r:
        for line in r: last = line
    j = json.loads(last); return (t, time.time(), j.get("eval_count", 0), j.get("eval_duration", 1) / 1e9)
def at_once(jobs):
    out = [None] * len(jobs); ts = [threading.Thread(target=lambda i=i, j=j: out.__setitem__(i, chat(*j))) for i, j in enumerate(jobs)]
    [t.start() for t in ts]; [t.join() for t in ts]; return out
def pool(jobs, n):
    q = list(jobs); out = []; lk = threading.Lock()
    def w():
        while True:
            with lk:
                if not q: return
                j = q.pop(0)
            r = chat(*j)
            with lk: out.append(r)
    ts = [threading.Thread(target=w) for _ in range(n)]; [t.start() for t in ts]; [t.join() for t in ts]; return out
def summ(name, out):
    s = min(o[0] for o in out); e = max(o[1] for o in out); tok = sum(o[2] for o in out)
    per = sorted(round(o[2] / o[3]) for o in out)
    lat = sorted(round((o[1] - o[0]) * 1000) for o in out)
    log(f"{name}: {tok/(e-s):.0f} tok/s agg, per-call decode tok/s {per[0]}..{per[-1]}, latency ms {lat[0]}..{lat[-1]}")
    res[name] = {"tps": tok / (e - s), "per": per, "lat": lat}
def unload():
    api("/api/generate", {"model": M, "keep_alive": 0})
    for _ in range(300):
        with urllib.request.urlopen(base + "/api/ps") as r:
            if not json.load(r).get("models"): return
        time.sleep(0.1)
def load(): api("/api/generate", {"model": M, "prompt": "", "options": {"num_predict": TOK, "temperature": 1}})
def bm(tag, conc=8):
    t = time.time()
    r = subprocess.run(["benchmcp", "run", "--model", M, "--suite", work + "/s.json", "--options", json.dumps({"num_predict": TOK, "temperature": 1}), "--seed", "7", "--concurrency", str(conc), "--json"], env=env, capture_output=True, text=True)
    s = json.loads(r.stdout)["summary"]
    log(f"{tag}: benchmcp run c={conc}: {s.get('throughput_tps',0):.0f} tok/s agg, gen_tps {s['gen_tps']:.0f}, p50 {s['latency_p50_ms']:.0f} ms ({time.time()-t:.1f} s)")
    res[tag] = s.get("throughput_tps", 0)
ALL = [(p, S) for p in tasks]
unload(); load()
summ("A plain pool8 seed S (no warm-up)", pool(ALL, 8))
summ("A2 plain pool8 seed S again", pool(ALL, 8))
bm("B benchmcp")
# mimic benchmcp: probe, warm-up round of 8 with the same requests, then the timed pool
chat(tasks[0], S); summ("C0 mimic warm-up round", at_once(ALL[:8])); summ("C mimic timed pool8", pool(ALL, 8))
chat(tasks[0], S + 1); summ("D0 warm-up seed S+1", at_once([(p, S + 1) for p in tasks[:8]])); summ("D timed pool8 seed S", pool(ALL, 8))
summ("E at_once 8 (t01-08) seed S", at_once(ALL[:8])); summ("E2 at_once 8 (t09-16) seed S", at_once(ALL[8:]))
summ("F plain pool8 seeds 1..16", pool([(p, i + 1) for i, p in enumerate(tasks)], 8))
summ("F2 plain pool8 seeds 1..16 again", pool([(p, i + 1) for i, p in enumerate(tasks)], 8))
unload(); load()
bm("G benchmcp after reload")
bm("G2 benchmcp again")
summ("H plain pool8 seed S", pool(ALL, 8))
unload(); load()
summ("I plain pool8 seeds 1..16 fresh", pool([(p, i + 1) for i, p in enumerate(tasks)], 8))
summ("I2 plain pool8 seed S", pool(ALL, 8))
json.dump(res, open(OUT + "/diag.json", "w"), indent=1)
