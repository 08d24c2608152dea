#!/usr/bin/env python3
"""Summarises one device-check run (build/cuda/device-check.sh): our checks' verdicts, and our step time and peak memory against
the peers' (build/cuda/peers.py) with the targets of issue #28. Reads OUT/{gpu,cpu}/report.json and OUT/peers-{gpu,cpu}/peers.json
where present; prints markdown.

  python3 build/cuda/summarize.py OUT > OUT/summary.md
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ours_by(report):
    """{(shape, method): (ms, peak MiB or None)} from our report's step-timing section."""
    rows = {}
    for section in (report or {}).get("sections", []):
        if section["name"] != "steps":
            continue
        for row in section["table"]:
            peak = row["peak MiB"]
            rows[(row["shape"], row["method"])] = (float(row["step ms"]), None if peak == "n/a" else float(peak))
    return rows


def peers_by(peers):
    """{(shape, method, dtype): (ms, peak MiB or None)} from peers.json."""
    rows = {}
    for r in (peers or {}).get("results", []):
        peak = r["peak_bytes"] / 2**20 if r["peak_bytes"] is not None else None
        rows[(r["shape"], r["method"], r["dtype"])] = (r["step_ms"], peak)
    return rows


def ratio(a, b, target=None):
    if a is None or b is None or b == 0:
        return "n/a"
    value = a / b
    verdict = "" if target is None else (" ✓" if value <= target else " ✗")
    return f"{value:.3f}{verdict}"


def comparison(title, ours, peers):
    lines = [f"## {title}", ""]
    if not ours and not peers:
        return lines + ["No results (see the step logs).", ""]
    lines += ["| shape | ours LoRA ms | ours Delta-LoRA ms | ours full ms | Delta/LoRA time (≤ 1.03) | Delta/LoRA memory (≤ 1.02) "
              "| PEFT LoRA ms | ours LoRA / PEFT (≤ 1.0) | PyTorch full ms | ours full / PyTorch (≤ 1.0) | PEFT LoRA bf16 ms "
              "| peak MiB: LoRA / Delta / full / PEFT / PyTorch full |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    shapes = sorted({s for s, _ in ours} | {s for s, _, _ in peers})
    for shape in shapes:
        lora, delta, full = (ours.get((shape, m), (None, None)) for m in ("LoRA", "DeltaLoRA", "Full"))
        peft, torch_full = (peers.get((shape, m, "fp32"), (None, None)) for m in ("peft-lora", "full"))
        peft_bf16 = peers.get((shape, "peft-lora", "bf16"), (None, None))
        fmt = lambda v: "n/a" if v is None else f"{v:.1f}"
        lines.append(f"| {shape} | {fmt(lora[0])} | {fmt(delta[0])} | {fmt(full[0])} | {ratio(delta[0], lora[0], 1.03)} "
                     f"| {ratio(delta[1], lora[1], 1.02)} | {fmt(peft[0])} | {ratio(lora[0], peft[0], 1.0)} | {fmt(torch_full[0])} "
                     f"| {ratio(full[0], torch_full[0], 1.0)} | {fmt(peft_bf16[0])} "
                     f"| {' / '.join(fmt(x[1]) for x in (lora, delta, full, peft, torch_full))} |")
    return lines + [""]


def main():
    out = sys.argv[1]
    gpu, cpu = load(os.path.join(out, "gpu", "report.json")), load(os.path.join(out, "cpu", "report.json"))
    peers_gpu, peers_cpu = load(os.path.join(out, "peers-gpu", "peers.json")), load(os.path.join(out, "peers-cpu", "peers.json"))
    lines = ["# Device check summary", ""]
    try:
        with open(os.path.join(out, "environment.txt")) as f:
            lines += ["```", f.read().strip(), "```", ""]
    except OSError:
        pass
    lines += ["## Our checks on the GPU", ""]
    if gpu is None:
        lines += ["No report: see build-native.log and gpu-check.log.", ""]
    else:
        lines += [f"- {s['title']}: {'pass' if s['passed'] else 'FAIL'}" + "".join(f"\n  - {f}" for f in s["failures"]) for s in gpu["sections"]]
        lines += ["", "Details: gpu/report.md.", ""]
    lines += comparison("GPU, fp32 (peers also bf16 under autocast)", ours_by(gpu), peers_by(peers_gpu))
    lines += comparison("CPU, 16 threads (ours on the wheel's libtorch through the built LibTorchSharp)", ours_by(cpu), peers_by(peers_cpu))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
