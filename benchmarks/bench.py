"""Scale benchmark: generate districts, run the desk and cesched, write a Markdown table.

    python benchmarks/bench.py --sizes 300,3000 --modes forbid,allow --time-limit 60 --out docs/benchmarks.md

Each case runs in its own process so its peak memory (ru_maxrss) is its own. Figures are whatever
this machine measures: nothing here is hard-coded.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_case(dataset: Path, time_limit: float, workers: int, mip: bool = False) -> dict:
    import cesched

    out: dict = {}
    t = time.monotonic()
    ds = cesched.load_dataset(dataset)
    out["load_s"] = time.monotonic() - t
    desk = cesched.solve(ds, cesched.SolveOptions(method="greedy", seed=0))
    out["desk_shortfall"] = desk.kpis.shortfall_hours
    out["desk_s"] = sum(desk.seconds.values())
    del desk
    t0 = time.monotonic()
    plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=time_limit, workers=workers))
    out["end_to_end_s"] = time.monotonic() - t0 + out["load_s"]
    # the first complete plan (the fitting greedy's) exists once candidates and greedy are done
    out["first_plan_s"] = out["load_s"] + plan.seconds.get("candidates", 0) + plan.seconds.get("greedy", 0)
    s1 = plan.stages[0]
    out.update(pairs=plan.model_stats.get("pairs"), build_s=plan.seconds.get("build", 0.0),
               status=plan.status, stage1=s1.value, stage1_bound=s1.bound, stage1_gap=s1.gap,
               stage1_status=s1.status, seconds=plan.seconds,
               stages={s.name: [s.value, s.bound, s.status] for s in plan.stages},
               audit_ok=bool(cesched.audit(ds, plan.assignments).ok))
    out["ratio_to_desk"] = s1.value / out["desk_shortfall"] if out["desk_shortfall"] else None
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if mip:
        from mip import solve_stage1_mip  # highspy is a core dependency (cesched's LP bound)

        out.update(solve_stage1_mip(ds, time_limit))
        if out.get("mip_value"):
            out["ratio_to_mip"] = s1.value / out["mip_value"]
    return out


def ensure_dataset(size: int, mode: str, seed: int, cache: Path) -> Path:
    path = cache / f"district-{size}-{mode}-s{seed}"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "cesched", "generate", str(path), "--staff", str(size),
                        "--seed", str(seed)], check=True, capture_output=True)
        policy = path / "policy.toml"
        policy.write_text(policy.read_text().replace('shift_overlap = "forbid"', f'shift_overlap = "{mode}"'))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="300,3000")
    ap.add_argument("--modes", default="forbid,allow")
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--workers", type=int, default=4, help="CP-SAT workers (the engine's default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cesched-bench"))
    ap.add_argument("--out", type=Path, default=None, help="Markdown file for the table")
    ap.add_argument("--json", type=Path, default=None, help="raw figures of every case")
    ap.add_argument("--mip", action="store_true", help="also solve stage 1 as a MIP on HiGHS, same time limit")
    ap.add_argument("--case", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.time_limit, args.workers, args.mip), default=str))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for mode in args.modes.split(","):
            path = ensure_dataset(size, mode, args.seed, args.cache)
            proc = subprocess.run([sys.executable, __file__, "--case", str(path), "--time-limit",
                                   str(args.time_limit), "--workers", str(args.workers)]
                                  + (["--mip"] if args.mip else []),
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                rows.append({"size": size, "mode": mode, "error": proc.stderr.strip().splitlines()[-1:]})
            else:
                rows.append({"size": size, "mode": mode, **json.loads(proc.stdout.strip().splitlines()[-1])})
            print(json.dumps(rows[-1], default=str), flush=True)
    table = render(rows, args)
    print(table)
    if args.out:
        args.out.write_text(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


def machine() -> str:
    """The machine and date a table was measured on, for its caption."""
    return (f"{platform.machine()}, {platform.python_version()}, {__import__('os').cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}")


def render(rows: list[dict], args) -> str:
    head = ("| staff | mode | pairs | load s | build s | first plan s | end-to-end s | desk shortfall h | "
            "stage 1 h | bound h | gap | vs desk | HiGHS MIP h (bound) | vs MIP | peak MB | audit |\n|"
            + "---|" * 16 + "\n")
    body = ""
    for r in rows:
        if "error" in r:
            body += f"| {r['size']:,} | {r['mode']} | failed: {r['error']} |" + " |" * 13 + "\n"
            continue
        gap = f"{100 * r['stage1_gap']:.1f} %" if r["stage1_gap"] is not None else "-"
        if r.get("mip_value") is not None:
            mip = f"{r['mip_value']:,.1f} ({r['mip_bound']:,.1f})"
            vs_mip = f"{r['ratio_to_mip']:.2f}x"
        else:
            mip, vs_mip = (r.get("mip_status") or "not run"), "-"
        body += (f"| {r['size']:,} | {r['mode']} | {r['pairs']:,} | {r['load_s']:.1f} | {r['build_s']:.1f} | "
                 f"{r['first_plan_s']:.1f} | {r['end_to_end_s']:.1f} | {r['desk_shortfall']:,.1f} | {r['stage1']:,.1f} | "
                 f"{r['stage1_bound']:,.1f} | {gap} | {r['ratio_to_desk']:.2f}x | {mip} | {vs_mip} | "
                 f"{r['peak_rss_mb']:,.0f} | {'ok' if r['audit_ok'] else 'BROKEN'} |\n")
    return (f"Command: `python benchmarks/bench.py --sizes {args.sizes} --modes {args.modes} "
            f"--time-limit {args.time_limit:g} --workers {args.workers} --seed {args.seed}"
            f"{' --mip' if args.mip else ''}` on {machine()}.\n\n" + head + body)


if __name__ == "__main__":
    main()
