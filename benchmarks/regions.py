"""Province benchmark: plan a generated province region by region, with 1, 2, ... parallel jobs.

    python benchmarks/regions.py --size 100000 --jobs 1,2 --region-seconds 20 --backend processes
    python benchmarks/regions.py --size 100000 --jobs 2 --time-limit 600 --backend ray

``--region-seconds`` fixes each region's effort, so the wall-clock ratio between job counts is the
speed-up from each added worker; ``--time-limit`` shares a total budget over the rounds instead (the
end-to-end target). Each case runs in its own process; figures are what this machine measures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ensure_dataset, machine  # noqa: E402  (same datasets, cache and captions as bench.py)


def run_case(dataset: Path, jobs: int, backend: str, time_limit: float | None, region_seconds: float | None,
             staff_per_region: int | None, desk: bool, border: bool = True) -> dict:
    import cesched

    out: dict = {}
    t0 = time.monotonic()
    ds = cesched.load_dataset(dataset)
    out["load_s"] = time.monotonic() - t0
    out["need_hours"] = float(
        (ds.staff["required_public"] - ds.staff["done_public"]).clip(lower=0).sum()
        + (ds.staff["required_professional"] - ds.staff["done_professional"]).clip(lower=0).sum())
    if desk:
        t = time.monotonic()
        baseline = cesched.solve_by_region(ds, cesched.SolveOptions(method="greedy", seed=0), jobs=jobs,
                                           backend=backend, staff_per_region=staff_per_region)
        out.update(desk_shortfall=baseline.kpis.shortfall_hours, desk_s=time.monotonic() - t)
        del baseline
    t = time.monotonic()
    plan = cesched.solve_by_region(
        ds, cesched.SolveOptions(time_limit_seconds=time_limit), jobs=jobs, backend=backend,
        region_seconds=region_seconds, staff_per_region=staff_per_region, border=border,
        on_region=lambda r: print(f"  region {r.region}: {r.staff} staff, {r.shortfall_hours:,.1f} h short, "
                                  f"{r.seconds:.0f} s, {r.peak_mb:,.0f} MB", file=sys.stderr, flush=True))
    out["solve_s"] = time.monotonic() - t
    out["end_to_end_s"] = out["load_s"] + out["solve_s"]  # the desk, when run, is not part of it
    out.update(status=plan.status, shortfall=plan.kpis.shortfall_hours, seconds=plan.seconds,
               model=plan.model_stats, stages={s.name: [s.value, s.status] for s in plan.stages},
               audit_ok=bool(cesched.audit(ds, plan.assignments).ok),
               regions=plan.regions.to_dict(orient="records"),
               peak_parent_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               peak_region_mb=float(plan.regions["peak_mb"].max()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--mode", default="forbid")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--backend", choices=["processes", "ray", "serial"], default="processes")
    ap.add_argument("--time-limit", type=float, default=None, help="total seconds, shared over the rounds")
    ap.add_argument("--region-seconds", type=float, default=None, help="each region's own time limit")
    ap.add_argument("--staff-per-region", type=int, default=None)
    ap.add_argument("--desk", action="store_true", help="also run the desk per region (the baseline)")
    ap.add_argument("--no-border", action="store_true", help="skip the cross-border pass")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cesched-bench"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--case", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, int(args.jobs), args.backend, args.time_limit, args.region_seconds,
                                  args.staff_per_region, args.desk, not args.no_border), default=str))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    path = ensure_dataset(args.size, args.mode, args.seed, args.cache)
    rows = []
    for jobs in [int(j) for j in args.jobs.split(",")]:
        cmd = [sys.executable, __file__, "--case", str(path), "--jobs", str(jobs), "--backend", args.backend]
        for flag, value in (("--time-limit", args.time_limit), ("--region-seconds", args.region_seconds),
                            ("--staff-per-region", args.staff_per_region)):
            if value is not None:
                cmd += [flag, str(value)]
        cmd += (["--desk"] if args.desk else []) + (["--no-border"] if args.no_border else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        row = {"jobs": jobs, **(json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                                else {"error": proc.returncode})}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "regions"}, default=str), flush=True)
    print(render(rows, args))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


def _desk(row: dict) -> str:
    if "desk_shortfall" not in row:
        return "not run | -"
    return f"{row['desk_shortfall']:,.1f} | {row['shortfall'] / row['desk_shortfall']:.2f}x"


def render(rows: list[dict], args) -> str:
    base = next((r["solve_s"] for r in rows if "solve_s" in r), None)
    head = ("| jobs | regions | load s | regions solved in s | speed-up | end-to-end s | shortfall h | "
            "share of need | desk by region h | vs desk | peak MB (driver / largest region) | audit |\n|"
            + "---|" * 12 + "\n")
    body = ""
    for r in rows:
        if "error" in r:
            body += f"| {r['jobs']} | failed (exit {r['error']}) |" + " |" * 10 + "\n"
            continue
        body += (f"| {r['jobs']} | {r['model']['regions']} | {r['load_s']:.1f} | {r['solve_s']:.1f} | "
                 f"{base / r['solve_s']:.2f}x | {r['end_to_end_s']:.1f} | {r['shortfall']:,.1f} | "
                 f"{100 * r['shortfall'] / r['need_hours']:.1f} % | {_desk(r)} | {r['peak_parent_mb']:,.0f} / "
                 f"{r['peak_region_mb']:,.0f} | {'ok' if r['audit_ok'] else 'BROKEN'} |\n")
    budget = (f"--region-seconds {args.region_seconds:g}" if args.region_seconds
              else f"--time-limit {args.time_limit:g}" if args.time_limit else "")
    return (f"Command: `python benchmarks/regions.py --size {args.size} --mode {args.mode} --jobs {args.jobs} "
            f"--backend {args.backend} {budget}{' --desk' if args.desk else ''}{' --no-border' if args.no_border else ''}` on {machine()}.\n\n" + head + body)


if __name__ == "__main__":
    main()
