"""Explain benchmark: how long one person's explanation takes on a generated district.

    python benchmarks/explain.py --size 3000 --sessions 200
    python benchmarks/explain.py --size 3000 --sessions 20 --whole   # the audit of the whole plan per session

The plan is the desk's (first come, first served: many people short); the person is the first one
short of hours. ``--whole`` judges each session on the whole district instead of on the part
explain uses, the way explain worked before, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ensure_dataset, machine  # noqa: E402  (same datasets and cache as bench.py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--mode", default="forbid", choices=["forbid", "allow"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sessions", type=int, default=200, help="most sessions explained (explain's max_sessions)")
    ap.add_argument("--whole", action="store_true", help="judge each session on the whole district")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cesched-bench"))
    args = ap.parse_args()

    import cesched
    from cesched import explain

    args.cache.mkdir(parents=True, exist_ok=True)
    ds = cesched.load_dataset(ensure_dataset(args.size, args.mode, args.seed, args.cache))
    plan = cesched.solve(ds, cesched.SolveOptions(method="greedy"))
    staff_id = plan.staff_report.loc[plan.staff_report["shortfall"] > 0, "staff_id"].iloc[0]
    if args.whole:  # the part replaced by the whole district and its plan
        explain._Parts.reason = lambda self, s, x, unit, overload: explain._reason(
            self.ds, self.base[["staff_id", "session_id"]], s, x, overload)
    t = time.monotonic()
    result = cesched.explain_staff(ds, plan.assignments, staff_id, suggest=False, max_sessions=args.sessions)
    seconds = time.monotonic() - t
    rows = len(result.sessions)
    print(f"{machine()}: {args.size} staff ({args.mode}), {staff_id}: {rows} sessions explained in {seconds:.1f} s "
          f"({seconds / max(rows, 1) * 1000:.0f} ms each){' on the whole district' if args.whole else ''}")
    print(result.sessions["reason"].value_counts().to_string())


if __name__ == "__main__":
    main()
