"""Markdown table for scripts/gpu-check.sh: Ember (JMH JSON) vs PyTorch (BENCH_RESULT lines), ms/step.

    python3 bench_table.py JMH_JSON PYTORCH_LOG

Ember: TrainingBenchmarks.w2/w3/w4 in SingleShotTime mode, one step per measured iteration, so the
median is taken over the iterations' raw values (ms). PyTorch: workloads.py's times_ms. The ratio is
Ember's median over PyTorch's (above 1: Ember is slower).
"""
import json
import statistics
import sys


def fmt(ts):
    if not ts:
        return None, "n/a"
    m = statistics.median(ts)
    return m, f"{m:.2f} ({min(ts):.2f}-{max(ts):.2f}, n={len(ts)})"


def ember(path):
    out = {}
    try:
        with open(path) as f:
            runs = json.load(f)
    except FileNotFoundError:
        return out, "no jmh.json (the bench stage did not run or failed before writing it)"
    except Exception as e:  # noqa: BLE001
        return out, f"jmh.json unreadable: {e}"
    for r in runs:
        name = r.get("benchmark", "").rsplit(".", 1)[-1].upper()
        pm = r.get("primaryMetric", {})
        unit = pm.get("scoreUnit", "ms/op")
        scale = {"s/op": 1e3, "ms/op": 1.0, "us/op": 1e-3, "ns/op": 1e-6}.get(unit, 1.0)
        raw = [v * scale for fork in pm.get("rawData", []) for v in fork]
        dev = r.get("params", {}).get("device", "?")
        out[name] = (raw, dev)
    return out, ""


def torch(path):
    out, notes = {}, []
    try:
        lines = open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return out, "no pytorch.log"
    for line in lines:
        if not line.startswith("BENCH_RESULT "):
            continue
        try:
            r = json.loads(line[len("BENCH_RESULT "):])
        except Exception:  # noqa: BLE001
            continue
        w = r.get("workload")
        if r.get("ok"):
            out[w] = (r.get("times_ms") or [], r.get("device", "?"), r.get("version", "?"))
        else:
            notes.append(f"PyTorch {w}: {r.get('reason')}")
    return out, "; ".join(notes)


def main():
    e, enote = ember(sys.argv[1])
    t, tnote = torch(sys.argv[2])
    print("| workload | Ember ms/step | PyTorch ms/step | Ember / PyTorch |")
    print("|---|---|---|---|")
    for w in ("W2", "W3", "W4"):
        em, es = fmt(e.get(w, ([], ""))[0])
        tm, ts = fmt(t.get(w, ([], "", ""))[0])
        edev = e.get(w, (None, ""))[1]
        tdev = t.get(w, (None, "", ""))[1]
        es += f" [{edev}]" if edev else ""
        ts += f" [{tdev}]" if tdev else ""
        ratio = f"{em / tm:.2f}x" if em and tm else "n/a"
        print(f"| {w} | {es} | {ts} | {ratio} |")
    versions = {v[2] for v in t.values()}
    print()
    if versions:
        print(f"PyTorch {', '.join(sorted(versions))}; ", end="")
    print("Ember: JMH SingleShotTime, one step per iteration; PyTorch: workloads.py --steps 20 --warmup 5.")
    for n in (enote, tnote):
        if n:
            print(f"\nNote: {n}")


if __name__ == "__main__":
    main()
