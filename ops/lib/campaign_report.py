#!/usr/bin/env python3
"""Summary of a demo campaign: precision per iteration (estimate and bounds, as the daemon
recorded them), candidates against the simulation's truth (true precision and recall), the
daemon's throughput from its logs, and an SVG plot of the precision estimates (like Fig. 5 of
the paper). Standard library only."""
import argparse, csv, os, re

p = argparse.ArgumentParser()
p.add_argument("--iterations", required=True)
p.add_argument("--candidates", required=True)
p.add_argument("--truth", required=True)
p.add_argument("--svg", required=True)
p.add_argument("--logs")
p.add_argument("--release-size", type=int)
p.add_argument("--threshold", type=float, default=0.8)
a = p.parse_args()

def num(x):
    return float(x) if x not in ("", None) else None

rows = list(csv.DictReader(open(a.iterations)))
truth = {}
for r in csv.DictReader(open(a.truth)):
    stem = r["file"]
    for ext in (".gz", ".fits", ".fit"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    truth[stem] = r["class"]
cands = list(csv.DictReader(open(a.candidates, newline="")))
pool_cands = [c for c in cands if c["spectrum_key"] in truth]
correct = sum(1 for c in pool_cands if truth[c["spectrum_key"]] == c["class"])
target_hits = sum(1 for c in pool_cands if truth[c["spectrum_key"]] in ("single", "double"))
targets = sum(1 for v in truth.values() if v in ("single", "double"))

print("iteration  model  labels  queried  precision  t-lower  CP-lower  sample  converged")
for r in rows:
    est, tl, cp = num(r["precision_estimate"]), num(r["precision_lower_bound"]), num(r["precision_cp_lower"])
    f = lambda v: "   -   " if v is None else f"{v:7.3f}"
    print(f"{int(r['iteration']):9d}  {int(r['model_version']):5d}  {int(r['labels_used']):6d}  {int(r['queried']):7d}"
          f"  {f(est):>9}  {f(tl):>7}  {f(cp):>8}  {int(r['precision_sample_size']):6d}  {r['converged']:>9}")
converged = [r for r in rows if r["converged"] == "t"]
print(f"converged: {'at iteration ' + converged[0]['iteration'] if converged else 'no'}")
print(f"candidates: {len(pool_cands)} (true precision {correct / len(pool_cands):.3f})" if pool_cands else "candidates: 0")
print(f"recall: {target_hits}/{targets} true targets found ({target_hits / targets:.3f})" if targets else "recall: no targets in truth")
if a.logs:
    for name in sorted(os.listdir(a.logs)):
        if not name.startswith("balmerd"):
            continue
        text = open(os.path.join(a.logs, name), errors="replace").read()
        stops = re.findall(r"consumed=(\d+).*?stored=(\d+)", text)
        promoted = len(re.findall(r"model promoted", text))
        rejected = len(re.findall(r"rejected by the gate", text))
        print(f"{name}: {promoted} models promoted, {rejected} rejected by the gate"
              + (f", last progress consumed={stops[-1][0]} stored={stops[-1][1]}" if stops else ""))

# SVG: estimate with the t lower bound as an error bar, threshold dashed.
W, H, L, B = 640, 360, 60, 40
pts = [(int(r["iteration"]), num(r["precision_estimate"]), num(r["precision_lower_bound"])) for r in rows if num(r["precision_estimate"]) is not None]
n = max([i for i, _, _ in pts] + [1])
x = lambda i: L + (W - L - 20) * i / n
y = lambda v: H - B - (H - B - 20) * max(0.0, min(1.0, v))
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{L}" y1="{y(0)}" x2="{W-20}" y2="{y(0)}" stroke="black"/>',
       f'<line x1="{L}" y1="{y(0)}" x2="{L}" y2="{y(1)}" stroke="black"/>',
       f'<line x1="{L}" y1="{y(a.threshold)}" x2="{W-20}" y2="{y(a.threshold)}" stroke="gray" stroke-dasharray="5,4"/>',
       f'<text x="{W/2}" y="{H-8}" text-anchor="middle">iteration</text>',
       f'<text x="14" y="{H/2}" transform="rotate(-90 14 {H/2})" text-anchor="middle">estimated precision</text>']
for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
    svg.append(f'<text x="{L-6}" y="{y(v)+4}" text-anchor="end">{v:.1f}</text>')
for i in range(n + 1):
    svg.append(f'<text x="{x(i)}" y="{y(0)+16}" text-anchor="middle">{i}</text>')
for i, est, lo in pts:
    if lo is not None:
        svg.append(f'<line x1="{x(i)}" y1="{y(lo)}" x2="{x(i)}" y2="{y(est)}" stroke="steelblue"/>')
    svg.append(f'<circle cx="{x(i)}" cy="{y(est)}" r="4" fill="steelblue"/>')
if len(pts) > 1:
    svg.append('<polyline fill="none" stroke="steelblue" points="' + " ".join(f"{x(i)},{y(e)}" for i, e, _ in pts) + '"/>')
svg.append("</svg>")
open(a.svg, "w").write("\n".join(svg) + "\n")
