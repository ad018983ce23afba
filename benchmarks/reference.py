"""The engine against the independent reference MIP on many random tiny districts.

    python benchmarks/reference.py --seeds 0-49 --modes forbid,allow --time-limit 30
    python benchmarks/reference.py --seeds 0-19 --staff 20,30 --time-limit 60 --ref-time-limit 600

--staff writes larger districts of that many staff (`write_tiny(..., staff=N)`; a list or range such as
`20,30` or `20-24`); without it the districts are the tiny ones. --reference-only times the reference
alone (no engine, no comparison) to find the sizes it still proves. --cache DIR keeps the
reference's results and reuses them for the same district (by a digest of its files), so two
engine versions are judged against the same optima without proving them twice. --force
later|no-model sends the districts down the engine's large-district paths (later stages by
neighbourhoods; no whole model).

For each seed and mode it writes a district (tests/reference/tinygen.py), proves the lexicographic
optimum with HiGHS (tests/reference/lexmip.py, which never reads cesched), solves it with
`cesched.solve`, and prints one row per district: for every stage `reference/engine` and the engine's
status. Flags:

    BUG          the engine calls the stage optimal but its value differs from the reference,
                 or its value beats the proven optimum (the plan or the reference is wrong)
    BUG-BOUND    the engine's bound lies above the proven optimum
    not reached  the stage is not proven and its value is worse than the reference
    n/c          not compared: an earlier stage is not at its optimum, so this stage's optimum, value
                 and bound answer a different question (its earlier stages held at other values)
    AUDIT        the audit rejects the engine's plan, or rejects / scores differently the reference plan

Every district with a BUG or AUDIT flag is copied to --keep (default /tmp/refcases/seed<N>-<mode>, or
seed<N>-<mode>-staff<S> for a sized one). The summary counts ok / not reached / BUG per mode and stage,
and lists every flagged stage with both values; --jsonl also writes one JSON object per district.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import cesched  # noqa: E402
from reference.lexmip import STAGES, lexicographic_plan  # noqa: E402
from reference.tinygen import write_tiny  # noqa: E402

TOLERANCE = 1e-6
SHORT = {"shortfall_hours": "short", "largest_shortfall_hours": "largest", "overlap_minutes": "overlap",
         "rest_breaches": "rest", "overload_hours": "overload", "unit_peak_days": "peak", "spend": "spend",
         "training_minutes": "minutes"}


def size_name(staff: int | None) -> str:
    return "tiny" if staff is None else str(staff)


def seed_list(text: str) -> list[int]:
    """`0-49`, `3,7,9` or a mix."""
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds += range(int(low), int(high) + 1)
        else:
            seeds.append(int(part))
    return seeds


def judge_stage(reference: float, status: str, value: float | None, bound: float | None) -> str:
    """'' when consistent with the proven optimum, else the flag."""
    if value is None:
        return "not reached"
    if status == "optimal" and abs(value - reference) > TOLERANCE:
        return "BUG"
    if value < reference - TOLERANCE:
        return "BUG"
    if bound is not None and bound > reference + TOLERANCE:
        return "BUG-BOUND"
    if value > reference + TOLERANCE:
        return "not reached"
    return ""


def audit_problems(folder: Path, reference: dict[str, float], ref_plan: list[tuple[str, str]],
                   ds: object, plan: object) -> list[str]:
    """What the audit says about both plans (the engine's must pass; the reference's must pass and score alike)."""
    problems = []
    if not cesched.audit(ds, plan.assignments).ok:
        problems.append("engine plan rejected")
    judged = cesched.audit(ds, pd.DataFrame(ref_plan, columns=["staff_id", "session_id"]))
    if not judged.ok:
        problems.append("reference plan rejected: " + "; ".join(sorted(set(judged.violations["rule"]))))
    for name in STAGES:
        if abs(getattr(judged.kpis, name) - reference[name]) > TOLERANCE:
            problems.append(f"audit scores reference {name} {getattr(judged.kpis, name):g} != {reference[name]:g}")
    return problems


class ReferenceUnproven(Exception):
    """The reference proved no optimum in its time (or failed); ``seconds`` it spent trying."""

    def __init__(self, message: str, seconds: float):
        super().__init__(message)
        self.seconds = seconds


def proven_reference(folder: Path, limit: float, cache: Path | None) -> tuple[dict, list, float]:
    """The reference's optima, plan and seconds for the district in ``folder``: from ``cache`` when
    that exact district (a digest of its files) was proven before, or failed within at least
    ``limit`` seconds; otherwise solved now and stored there. Engine versions are then compared
    against the same optima without proving them again (a 30-staff district takes up to 115 s)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    stored = None if cache is None else cache / f"{folder.name}-{digest.hexdigest()[:16]}.json"
    if stored is not None and stored.exists():
        data = json.loads(stored.read_text(encoding="utf-8"))
        if "error" not in data:
            return data["reference"], [tuple(pair) for pair in data["plan"]], data["seconds"]
        if data["limit"] >= limit:
            raise ReferenceUnproven(data["error"], data["seconds"])
    started = time.monotonic()
    try:
        reference, plan = lexicographic_plan(folder, time_limit=limit)
        data = {"reference": reference, "plan": plan, "seconds": time.monotonic() - started}
    except Exception as error:
        data = {"error": str(error), "limit": limit, "seconds": time.monotonic() - started}
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(json.dumps(data), encoding="utf-8")
    if "error" in data:
        raise ReferenceUnproven(data["error"], data["seconds"])
    return data["reference"], data["plan"], data["seconds"]


def run_one(seed: int, mode: str, time_limit: float, workers: int, keep: Path, staff: int | None = None,
            ref_time_limit: float | None = None, engine: bool = True, cache: Path | None = None) -> dict:
    """One district: reference, engine, comparison; the folder is kept when something is wrong."""
    name = f"seed{seed}-{mode}" + ("" if staff is None else f"-staff{staff}")
    ref_limit = max(60.0, 2 * time_limit) if ref_time_limit is None else ref_time_limit
    with tempfile.TemporaryDirectory(prefix="refbench-") as tmp:
        folder = Path(tmp) / name
        write_tiny(folder, seed, mode, staff=staff)
        try:
            reference, ref_plan, ref_seconds = proven_reference(folder, ref_limit, cache)
        except ReferenceUnproven as error:  # the reference could not prove it: say so, compare nothing
            return {"seed": seed, "mode": mode, "staff": staff, "ref_seconds": error.seconds,
                    "error": f"reference: {error}"}
        if not engine:
            return {"seed": seed, "mode": mode, "staff": staff, "reference": reference, "cells": [],
                    "flags": [], "problems": [], "kept": None, "ref_seconds": ref_seconds,
                    "engine_seconds": 0.0, "status": "-"}
        started = time.monotonic()
        ds = cesched.load_dataset(folder)
        plan = cesched.solve(ds, cesched.SolveOptions(time_limit_seconds=time_limit, workers=workers, seed=0))
        engine_seconds = time.monotonic() - started
        cells, flags = [], []
        comparable = True  # every earlier stage of the final plan at its proven optimum
        for stage in plan.stages:
            if stage.name not in reference:
                cells.append(f"{stage.name}?")
                continue
            value = "-" if stage.value is None else f"{stage.value:g}"
            if not comparable:
                cells.append(f"{reference[stage.name]:g}/{value} {stage.status[:3]} n/c")
                continue
            flag = judge_stage(reference[stage.name], stage.status, stage.value, stage.bound)
            comparable = stage.value is not None and abs(stage.value - reference[stage.name]) <= TOLERANCE
            flags.append((stage.name, flag, reference[stage.name], stage.value, stage.bound, stage.status))
            cells.append(f"{reference[stage.name]:g}/{value} {stage.status[:3]}{' ' + flag if flag else ''}")
        problems = audit_problems(folder, reference, ref_plan, ds, plan)
        bad = any(f[1].startswith("BUG") for f in flags) or problems
        kept = None
        if bad:
            kept = keep / name
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(folder, kept)
        return {"seed": seed, "mode": mode, "staff": staff, "reference": reference, "cells": cells,
                "flags": flags, "problems": problems, "kept": kept, "ref_seconds": ref_seconds,
                "engine_seconds": engine_seconds, "status": plan.status}


def force_large_paths(which: str) -> None:
    """Send small districts down the paths the engine keeps for large ones, so the reference can
    judge what those paths claim (statuses and bounds) where it can still prove the optimum."""
    from cesched.solve import run as engine

    engine.LATER_NEIGHBOURHOODS_ABOVE_PAIRS = 0
    if which == "no-model":
        engine.full_model_limit = lambda _limit: 0
        engine.LATER_SHARE = 0.5  # the default 7.5 % of a tiny limit leaves the later steps no time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0-49")
    parser.add_argument("--modes", default="forbid,allow")
    parser.add_argument("--staff", default="", help="district sizes, e.g. 30 or 20,40 or 20-24; blank = tiny")
    parser.add_argument("--time-limit", type=float, default=30.0, help="engine seconds per district")
    parser.add_argument("--ref-time-limit", type=float, default=None,
                        help="reference seconds per district, all stages (default max(60, 2 x --time-limit))")
    parser.add_argument("--reference-only", action="store_true", help="time the reference, run no engine")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/refcases"))
    parser.add_argument("--jsonl", type=Path, default=None, help="also write one JSON line per district")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the reference's results here and reuse them for the same district")
    parser.add_argument("--force", choices=["later", "no-model"], default=None,
                        help="take the large-district paths on small districts: 'later' searches the stages "
                             "after shortfall by neighbourhoods, 'no-model' builds no whole model at all")
    args = parser.parse_args(argv)
    if args.force:
        force_large_paths(args.force)
    args.keep.mkdir(parents=True, exist_ok=True)
    sizes: list[int | None] = [None] if not args.staff.strip() else seed_list(args.staff)
    jsonl = args.jsonl.open("a", encoding="utf-8") if args.jsonl else None

    header = ["staff", "seed", "mode", "ref s", "eng s"] + [SHORT[s] for s in STAGES]
    print(" | ".join(header), flush=True)
    tally: dict[tuple[str, str], Counter] = {}
    stages: dict[tuple[str, str], dict[str, Counter]] = {}
    times: dict[tuple[str, str], dict[str, list[float]]] = {}
    findings: list[str] = []
    gaps: list[str] = []
    for staff in sizes:
        for mode in args.modes.split(","):
            key = (size_name(staff), mode)
            tally[key] = Counter()
            stages[key] = {name: Counter() for name in STAGES}
            times[key] = {"reference": [], "engine": []}
            for seed in seed_list(args.seeds):
                row = run_one(seed, mode, args.time_limit, args.workers, args.keep, staff=staff,
                              ref_time_limit=args.ref_time_limit, engine=not args.reference_only,
                              cache=args.cache)
                if jsonl:
                    jsonl.write(json.dumps(row, default=str) + "\n")
                    jsonl.flush()
                if "error" in row:
                    tally[key]["reference unproven"] += 1
                    print(f"{size_name(staff)} | {seed} | {mode} | {row['ref_seconds']:.1f} | {row['error']}",
                          flush=True)
                    continue
                times[key]["reference"].append(row["ref_seconds"])
                if args.reference_only:
                    tally[key]["reference proven"] += 1
                    print(" | ".join([size_name(staff), str(seed), mode, f"{row['ref_seconds']:.1f}", "-",
                                      *(f"{row['reference'][n]:g}" for n in STAGES)]), flush=True)
                    continue
                times[key]["engine"].append(row["engine_seconds"])
                print(" | ".join([size_name(staff), str(seed), mode, f"{row['ref_seconds']:.1f}",
                                  f"{row['engine_seconds']:.1f}", *row["cells"]]), flush=True)
                where = f"seed {seed} {mode}" + ("" if staff is None else f" staff {staff}")
                worst = "ok"
                for name in set(STAGES) - {f[0] for f in row["flags"]}:
                    stages[key][name]["n/c"] += 1
                for name, flag, ref, value, bound, status in row["flags"]:
                    stages[key][name][flag.split("-")[0] if flag else "ok"] += 1
                    if flag.startswith("BUG"):
                        worst = "BUG"
                        findings.append(f"{flag}: {where} {name}: reference {ref:g}, engine {value} "
                                        f"(status {status}, bound {bound}) -> {row['kept']}")
                    elif flag == "not reached":
                        if worst == "ok":
                            worst = "not reached"
                        bound_ok = bound is not None and bound <= ref + TOLERANCE
                        gaps.append(f"not reached: {where} {name}: optimum {ref:g}, engine {value} "
                                    f"(status {status}, bound {bound}, bound <= optimum: {bound_ok})")
                for problem in row["problems"]:
                    worst = "BUG"
                    findings.append(f"AUDIT: {where}: {problem} -> {row['kept']}")
                tally[key][worst] += 1
                tally[key]["stage BUG"] += sum(1 for f in row["flags"] if f[1].startswith("BUG"))
                tally[key]["stage not reached"] += sum(1 for f in row["flags"] if f[1] == "not reached")
                tally[key]["stage ok"] += sum(1 for f in row["flags"] if not f[1])
    if jsonl:
        jsonl.close()
    print()
    for (size, mode), counts in tally.items():
        ref, eng = times[size, mode]["reference"], times[size, mode]["engine"]
        timing = (f"reference s mean {sum(ref) / len(ref):.1f} max {max(ref):.1f}" if ref else "no reference proven")
        if eng:
            timing += f"; engine s mean {sum(eng) / len(eng):.1f} max {max(eng):.1f}"
        if args.reference_only:
            print(f"staff {size} {mode}: reference proven {counts['reference proven']}, "
                  f"unproven {counts['reference unproven']}; {timing}")
            continue
        print(f"staff {size} {mode}: districts ok {counts['ok']}, not reached {counts['not reached']}, "
              f"BUG {counts['BUG']}, reference unproven {counts['reference unproven']}; stages ok "
              f"{counts['stage ok']}, not reached {counts['stage not reached']}, BUG {counts['stage BUG']}; {timing}")
        for name in STAGES:
            c = stages[size, mode][name]
            print(f"    {name:<24} ok {c['ok']:>3}  not reached {c['not reached']:>3}  BUG {c['BUG']:>3}  n/c {c['n/c']:>3}")
    for gap in gaps:
        print(gap)
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
