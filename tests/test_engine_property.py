"""Property tests of the engine over random small datasets (hypothesis).

(a) every plan passes the independent audit; (b) every stage is proven optimal and the plan's KPIs equal
the stage values; (c) on the smallest datasets (at most 3 staff and 5 sessions), the stage-1 optimum (total
shortfall) and, held at it, every later stage's optimum equal those found by exhaustive enumeration of
every plan; and the same (d) on the neighbourhood-search path that large districts take, forced on, and
(a) for (e) the first-come-first-served desk (``method="greedy"``), the engine's peer and warm start.

The enumeration is written here, from the rules of issue 4, sharing no code with the engine nor with the
audit: ``Rules`` below re-states each hard rule and objective term over the validated dataset's tables.
It is checked both ways: the optimum it finds must pass ``cesched.audit`` with the same figures (so it is
not too lenient) and every engine plan must keep its rules (so it is not too strict).
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import math
from collections import defaultdict

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesched

try:
    from builders import assert_sound, course, frames, meeting, person, policy, road, shift, unit, venue
except ImportError:  # tests/ collected as a package
    from tests.builders import assert_sound, course, frames, meeting, person, policy, road, shift, unit, venue

OPTIONS = cesched.SolveOptions(time_limit_seconds=10, workers=2, seed=0)
ZONES = ("seat", "north", "south", "")  # "" = zone left blank
FIELDS = ("med", "nurse")
MONDAY = dt.datetime(2027, 3, 1)
SHIFT_KINDS = {"day": (8 * 60, 16 * 60), "evening": (14 * 60, 22 * 60), "night": (22 * 60, 30 * 60),
               "early": (0, 7 * 60)}


def stamp(minute: int) -> str:
    return (MONDAY + dt.timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M")


# --- random small datasets -------------------------------------------------------------------------------------
@st.composite
def datasets(draw, max_staff: int = 4, max_sessions: int = 6) -> cesched.Dataset:
    units = [unit(f"U{i}", zone=draw(st.sampled_from(ZONES)),
                  budget=draw(st.sampled_from(["", "", "", 0, 60, 150])),
                  max_absent=draw(st.sampled_from(["", "", 0, 1, 2])))
             for i in range(draw(st.integers(1, 3)))]
    staff = [person(f"P{i}", unit=draw(st.sampled_from(units))["unit_id"], field=draw(st.sampled_from(FIELDS)),
                    public=draw(st.sampled_from([0, 3, 6, 6, 9, 12])), professional=draw(st.sampled_from([0, 3, 6])),
                    done_public=draw(st.sampled_from(["", "", 2])), cap=draw(st.sampled_from(["", "", "", "", 3, 5])))
             for i in range(draw(st.integers(1, max_staff)))]
    courses = [course(f"C{i}", category=draw(st.sampled_from(["public", "public", "professional"])),
                      hours=draw(st.sampled_from([2, 3, 4.5, 6])), fee=draw(st.sampled_from([0, 0, 40, 90])),
                      fields=draw(st.sampled_from(["", "", "med", "nurse", "med;nurse"])))
               for i in range(draw(st.integers(1, 5)))]
    venues = [venue(f"V{i}", zone=draw(st.sampled_from(ZONES)), capacity=draw(st.integers(1, 4)))
              for i in range(draw(st.integers(1, 2)))]
    sessions = []
    for i in range(draw(st.integers(1, max_sessions))):
        c = draw(st.sampled_from(courses))["course_id"]
        cap = draw(st.sampled_from(["", "", 1, 2, 3]))
        least = draw(st.sampled_from(["", "", "", "", "", 2, 3]))
        for _ in range(draw(st.integers(1, 2))):
            start = draw(st.integers(0, 9)) * 1440 + draw(st.integers(6 * 2, 21 * 2)) * 30
            length = draw(st.sampled_from([60, 90, 120, 180, 240]))
            sessions.append(meeting(f"X{i}", c, stamp(start), stamp(start + length),
                                    venue=draw(st.sampled_from(venues))["venue_id"], capacity=cap, least=least))
    shifts = []
    for p in staff:
        for _ in range(draw(st.integers(0, 5))):
            day = draw(st.integers(0, 9)) * 1440
            a, b = SHIFT_KINDS[draw(st.sampled_from(sorted(SHIFT_KINDS)))]
            shifts.append(shift(p["staff_id"], stamp(day + a), stamp(day + b)))
    used = sorted(({u["zone"] for u in units} | {v["zone"] for v in venues}) - {""})
    travel = [road(a, b, draw(st.sampled_from([0, 15, 30, 60])))
              for a, b in itertools.combinations(used, 2) if draw(st.booleans())]
    rules = {"shift_overlap": draw(st.sampled_from(["forbid", "allow"])),
             "max_weekly_load_hours": draw(st.sampled_from([0, 0, 20, 40])),
             "rest_after_night_hours": draw(st.sampled_from([0, 8])),
             "default_travel_minutes": draw(st.sampled_from([0, 0, 20]))}
    return cesched.dataset_from_frames(
        frames(staff=staff, courses=courses, sessions=sessions, units=units, venues=venues, shifts=shifts,
               travel=travel),
        policy(rules))


# --- the hard rules, re-stated independently -------------------------------------------------------------------
def minute(ts) -> int:
    return int((pd.Timestamp(ts) - pd.Timestamp("1970-01-01")) // pd.Timedelta(minutes=1))


def iso_week(m: int) -> tuple[int, int]:
    return tuple((dt.date(1970, 1, 1) + dt.timedelta(days=m // 1440)).isocalendar()[:2])


def cents(x: float) -> int:
    return int(round(float(x) * 100))


class Rules:
    """Rules 1-8 of issue 4 over one dataset, for plans given as {session_id: attendees}."""

    def __init__(self, ds: cesched.Dataset):
        r = self.rules = ds.policy.rules
        self.forbid = r.shift_overlap == "forbid"
        self.default_travel = int(r.default_travel_minutes)
        self.roads = {frozenset((a, b)): int(m)
                      for a, b, m in ds.travel[["zone_a", "zone_b", "minutes"]].itertuples(index=False)}
        self.units = {u.unit_id: u for u in ds.units.itertuples()}
        self.staff = {p.staff_id: p for p in ds.staff.itertuples()}
        self.shifts = defaultdict(list)
        for s in ds.shifts.itertuples():
            self.shifts[s.staff_id].append((minute(s.start), minute(s.end)))
        courses = {c.course_id: c for c in ds.courses.itertuples()}
        venue_zone = dict(zip(ds.venues["venue_id"], ds.venues["zone"]))
        self.sessions = {}
        for s in ds.sessions.itertuples():
            c = courses[s.course_id]
            self.sessions[s.session_id] = dict(course=s.course_id, category=c.category, fields=c.fields,
                                               hours=cents(c.hours), fee=cents(c.fee), capacity=int(s.capacity),
                                               least=int(s.min_attendance), meetings=[])
        for m in ds.meetings.itertuples():
            self.sessions[m.session_id]["meetings"].append((minute(m.start), minute(m.end), venue_zone[m.venue_id]))

    def travel(self, a: str, b: str) -> int:
        return 0 if a == b else self.roads.get(frozenset((a, b)), self.default_travel)

    def zone(self, p: str) -> str:
        return self.units[self.staff[p].unit_id].zone

    def pieces(self, p: str, x: str) -> list[tuple[int, int]]:
        """Parts of session x's meetings inside p's shifts widened by the unit-to-venue travel time."""
        out = []
        for a, b, z in self.sessions[x]["meetings"]:
            t = self.travel(self.zone(p), z)
            for s, e in self.shifts[p]:
                lo, hi = max(a, s - t), min(b, e + t)
                if hi > lo:
                    out.append((lo, hi))
        return out

    def weekly(self, x: str) -> dict:
        out = defaultdict(int)
        for a, b, _ in self.sessions[x]["meetings"]:
            out[iso_week(a)] += b - a
        return out

    def cap(self, p: str) -> float | None:
        c = self.staff[p].max_weekly_hours
        return None if c is None or math.isnan(c) else c * 60

    def possible(self, p: str, x: str) -> bool:
        """The pair alone keeps eligibility (1), weekly cap (5), budget (7) and forbid (8)."""
        s, who = self.sessions[x], self.staff[p]
        if s["category"] == "professional" and s["fields"] and who.field not in s["fields"].split(";"):
            return False
        if self.forbid and self.pieces(p, x):
            return False
        cap = self.cap(p)
        if cap is not None and any(m > cap + 1e-9 for m in self.weekly(x).values()):
            return False
        budget = self.units[who.unit_id].budget
        return math.isnan(budget) or s["fee"] <= cents(budget)

    def clash(self, x: str, y: str) -> bool:
        """Rule 4: two meetings of x and y closer than the travel between their venues."""
        for a1, b1, z1 in self.sessions[x]["meetings"]:
            for a2, b2, z2 in self.sessions[y]["meetings"]:
                t = self.travel(z1, z2)
                if a1 < b2 + t and a2 < b1 + t:
                    return True
        return False

    def fits(self, plan: dict[str, tuple[str, ...]], x: str, people: tuple[str, ...]) -> bool:
        """Can session x take ``people`` on top of ``plan`` (rules 2-7; pairs already ``possible``)?"""
        s = self.sessions[x]
        if len(people) > s["capacity"] or (people and len(people) < s["least"]):
            return False
        mine = defaultdict(list)
        for y, who in plan.items():
            for p in who:
                mine[p].append(y)
        spend = defaultdict(int)
        for y, who in plan.items():
            for p in who:
                spend[self.staff[p].unit_id] += self.sessions[y]["fee"]
        for p in people:
            if any(self.sessions[y]["course"] == s["course"] or self.clash(x, y) for y in mine[p]):
                return False
            cap = self.cap(p)
            if cap is not None:
                load = defaultdict(int)
                for y in mine[p] + [x]:
                    for week, m in self.weekly(y).items():
                        load[week] += m
                if any(m > cap + 1e-9 for m in load.values()):
                    return False
            spend[self.staff[p].unit_id] += s["fee"]
        for u, total in spend.items():
            budget = self.units[u].budget
            if not math.isnan(budget) and total > cents(budget):
                return False
        for u in {self.staff[p].unit_id for p in people}:
            limit = self.units[u].max_absent
            if math.isnan(limit):
                continue
            off = [(p, lo, hi) for y, who in list(plan.items()) + [(x, people)] for p in who
                   if self.staff[p].unit_id == u for lo, hi in self.pieces(p, y)]
            for _, t, _ in off:
                if len({p for p, lo, hi in off if lo <= t < hi}) > limit:
                    return False
        return True

    def shortfall(self, plan: dict[str, tuple[str, ...]]) -> tuple[int, int]:
        """(total, largest individual) shortfall in hundredths of a credit hour."""
        planned = defaultdict(int)
        for x, who in plan.items():
            for p in who:
                planned[(p, self.sessions[x]["category"])] += self.sessions[x]["hours"]
        per = []
        for p, r in self.staff.items():
            per.append(max(0, cents(r.required_public) - cents(r.done_public) - planned[(p, "public")])
                       + max(0, cents(r.required_professional) - cents(r.done_professional)
                             - planned[(p, "professional")]))
        return sum(per), max(per, default=0)

    def objective(self, plan: dict[str, tuple[str, ...]]) -> tuple[int, ...]:
        """Every objective term in the contract's order, in integer units: shortfall and largest shortfall
        (hundredths of a credit hour), overlap minutes, rest breaches, overload minutes, the sum of the
        units' peak days, spend (hundredths of a CNY), training minutes."""
        rules = self.rules
        overlap = rest = spend = minutes = 0
        load = defaultdict(int)
        for p, shifts in self.shifts.items():
            for s, e in shifts:
                load[(p, iso_week(s))] += e - s
        nights = {p: [e for s, e in shifts if e // 1440 > s // 1440 or e % 1440 <= 8 * 60]
                  for p, shifts in self.shifts.items()}
        window = rules.rest_after_night_hours * 60
        on_day = defaultdict(set)
        for x, who in plan.items():
            s = self.sessions[x]
            for p in who:
                spend += s["fee"]
                for a, b, z in s["meetings"]:
                    minutes += b - a
                    load[(p, iso_week(a))] += b - a
                    on_day[(self.staff[p].unit_id, a // 1440)].add(p)
                    t = self.travel(self.zone(p), z)
                    covered = set()
                    for s0, e0 in self.shifts[p]:
                        covered.update(range(max(a, s0 - t), min(b, e0 + t)))
                    overlap += len(covered)
                    if window > 0:
                        rest += sum(1 for e in nights.get(p, ()) if a - window < e <= a)
        limit = rules.max_weekly_load_hours * 60
        overload = sum(max(0, m - limit) for m in load.values()) if limit > 0 else 0
        peak = defaultdict(int)
        for (u, _), people in on_day.items():
            peak[u] = max(peak[u], len(people))
        return (*self.shortfall(plan), overlap, rest, overload, sum(peak.values()), spend, minutes)

    def keeps_rules(self, pairs: set[tuple[str, str]]) -> bool:
        """The plan as a whole keeps rules 1-8."""
        by_session = defaultdict(list)
        for p, x in pairs:
            if not self.possible(p, x):
                return False
            by_session[x].append(p)
        plan: dict[str, tuple[str, ...]] = {}
        for x, who in by_session.items():
            if not self.fits(plan, x, tuple(sorted(who))):
                return False
            plan[x] = tuple(sorted(who))
        return True

    def best(self) -> tuple[tuple[int, ...], dict[str, tuple[str, ...]]]:
        """Exhaustive search of every plan: the lexicographically least objective and a plan reaching it."""
        order = sorted(self.sessions)
        able = {x: [p for p in sorted(self.staff) if self.possible(p, x)] for x in order}
        best: list = [None, None]

        def bound(plan, k) -> int:
            extra = {x: tuple(able[x]) for x in order[k:]}
            return self.shortfall({**plan, **extra})[0]

        def visit(k: int, plan: dict) -> None:
            if best[0] is not None and bound(plan, k) > best[0][0]:
                return
            if k == len(order):
                value = self.objective(plan)
                if best[0] is None or value < best[0]:
                    best[0], best[1] = value, dict(plan)
                return
            x = order[k]
            for size in range(len(able[x]), -1, -1):
                for people in itertools.combinations(able[x], size):
                    if self.fits(plan, x, people):
                        visit(k + 1, {**plan, x: people} if people else plan)

        visit(0, {})
        return best[0], best[1]


# --- the properties ---------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
def test_every_plan_passes_the_audit_with_proven_stages(ds):
    plan = cesched.solve(ds, OPTIONS)
    assert_sound(ds, plan)  # (a) audit ok, KPIs are the audit's; (b) every stage optimal, values = KPIs
    assert Rules(ds).keeps_rules(set(zip(plan.assignments["staff_id"], plan.assignments["session_id"])))


def reported(value: tuple[int, ...]) -> tuple[float, ...]:
    """``Rules.objective`` in the units stages and KPIs are reported in."""
    short, largest, overlap, rest, overload, peak, spend, minutes = value
    return (short / 100, largest / 100, overlap, rest, overload / 60, peak, spend / 100, minutes)


def check_against_enumeration(ds: cesched.Dataset, options: cesched.SolveOptions) -> cesched.Plan:
    rules = Rules(ds)
    value, best = rules.best()
    optimum = reported(value)
    best_pairs = [(p, x) for x, who in best.items() for p in who]
    judged = cesched.audit(ds, pd.DataFrame(best_pairs, columns=["staff_id", "session_id"], dtype=object))
    assert judged.ok, judged.violations.to_string()  # the enumeration is not too lenient
    assert tuple(judged.kpis.objective().values()) == pytest.approx(optimum)  # nor its figures wrong

    plan = cesched.solve(ds, options)
    assert cesched.audit(ds, plan.assignments).ok
    engine = set(zip(plan.assignments["staff_id"], plan.assignments["session_id"]))
    assert rules.keeps_rules(engine)  # the enumeration is not too strict
    assert all(s.status == "optimal" for s in plan.stages), plan.stages
    # stage 1, the total shortfall, then every later stage held at the earlier ones' optimum
    assert plan.stages[0].value == pytest.approx(optimum[0]), (best, plan.assignments)
    assert tuple(s.value for s in plan.stages) == pytest.approx(optimum), (best, plan.assignments)
    assert tuple(plan.kpis.objective().values()) == pytest.approx(optimum)
    return plan


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_stages_match_exhaustive_enumeration(ds):
    check_against_enumeration(ds, OPTIONS)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_stage_searches_by_cp_sat_lns_alone_still_reach_and_prove_every_optimum(ds):
    # Large models search each stage with CP-SAT's neighbourhoods alone; the bound companion proves.
    stages = importlib.import_module("cesched.solve.stages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stages, "LNS_ONLY_ABOVE_PAIRS", 0, raising=True)
        check_against_enumeration(ds, OPTIONS)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_small_models_with_one_complete_worker_beside_neighbourhoods_reach_every_optimum(ds):
    # four workers: the companion, one complete search worker, two running CP-SAT's neighbourhoods
    check_against_enumeration(ds, cesched.SolveOptions(time_limit_seconds=10, workers=4, seed=0))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_the_neighbourhood_search_path_keeps_rules_and_optimum(ds):
    # Large districts first improve shortfall by neighbourhood search, then run the stages from its plan;
    # force that path on a tiny dataset (short time limit: the search runs for a share of it).
    run = importlib.import_module("cesched.solve.run")  # (cesched.solve is also the function)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run, "LNS_ABOVE_PAIRS", {"forbid": 0, "allow": 0}, raising=True)
        plan = check_against_enumeration(ds, cesched.SolveOptions(time_limit_seconds=2.5, workers=1, seed=0))
    assert plan.model_stats["pairs"] == 0 or "lns_steps" in plan.model_stats  # the path was taken


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
def test_the_first_come_first_served_desk_keeps_every_rule(ds):
    plan = cesched.solve(ds, cesched.SolveOptions(method="greedy", seed=0, time_limit_seconds=10, workers=1))
    judged = cesched.audit(ds, plan.assignments)
    assert judged.ok, judged.violations.to_string()
    assert Rules(ds).keeps_rules(set(zip(plan.assignments["staff_id"], plan.assignments["session_id"])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(), st.integers(0, 2**16))
def test_the_fitting_greedy_keeps_every_rule(ds, seed):
    """The optimiser's start, checked on its own: its rounds recheck a kept option only against the
    session taken since, and cancelled sessions give their places back, so neither may let a
    broken rule through."""
    from cesched.candidates import build_candidates, index_dataset
    from cesched.solve.greedy import fitting_plan
    run = importlib.import_module("cesched.solve.run")

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    assignments = run.assignments_frame(ds, ix, cand, fitting_plan(ix, cand, seed))
    judged = cesched.audit(ds, assignments)
    assert judged.ok, judged.violations.to_string()
    assert Rules(ds).keeps_rules(set(zip(assignments["staff_id"], assignments["session_id"])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(), st.integers(0, 2**16))
def test_topping_up_any_plan_keeps_every_rule(ds, seed):
    """Free seats of running sessions go to people still short: never a broken rule, never more shortfall."""
    import numpy as np

    from cesched.candidates import build_candidates, index_dataset, shortfall_hours
    from cesched.solve.greedy import desk_plan, plan_state, top_up
    run = importlib.import_module("cesched.solve.run")

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    chosen = desk_plan(ix, cand, seed)
    chosen &= np.random.default_rng(seed).random(cand.n_pairs) < 0.7  # leave seats free...
    enrolled = np.bincount(cand.pair_session[chosen], minlength=len(ix.session_ids))
    chosen &= (enrolled >= ix.session_min)[cand.pair_session]  # ...in a plan that still keeps every rule
    state = plan_state(ix, cand, chosen)
    top_up(state)
    judged = cesched.audit(ds, run.assignments_frame(ds, ix, cand, state.chosen))
    assert judged.ok, judged.violations.to_string()
    assert (state.chosen >= chosen).all()
    assert shortfall_hours(ix, cand, state.chosen).sum() <= shortfall_hours(ix, cand, chosen).sum()
    with pytest.MonkeyPatch.context() as mp:  # screened pair by pair (chunks of one), the same plan
        mp.setattr(importlib.import_module("cesched.solve.greedy"), "TOP_UP_CHUNK", 1)
        chunked = plan_state(ix, cand, chosen)
        top_up(chunked)
    assert (chunked.chosen == state.chosen).all()


def _solve_and_merge(ds, ix, cand, chosen, residual, keep, fixed):
    """A neighbourhood step's sub-problem solved to optimality and merged into the plan; the merged
    plan must keep every rule (by the audit) and be no worse."""
    import numpy as np
    from ortools.sat.python import cp_model

    from cesched.candidates import shortfall_hours, subset
    from cesched.model.builder import build_model
    run = importlib.import_module("cesched.solve.run")

    pm = build_model(ds, residual, subset(cand, keep), terms=("shortfall_hours",), fixed=fixed)
    pm.model.minimize(pm.term("shortfall_hours").expr())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(pm.model) == cp_model.OPTIMAL  # the current plan's part is always feasible
    merged = chosen.copy()
    merged[np.flatnonzero(keep)] = pm.chosen(list(solver.response_proto.solution))
    judged = cesched.audit(ds, run.assignments_frame(ds, ix, cand, merged))
    assert judged.ok, judged.violations.to_string()
    assert shortfall_hours(ix, cand, merged).sum() <= shortfall_hours(ix, cand, chosen).sum()
    return merged


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(), st.integers(0, 2**16))
def test_a_neighbourhood_step_merged_into_any_plan_keeps_every_rule(ds, seed):
    """One step of the neighbourhood search, unguarded: free random people of a random valid plan,
    solve their part to optimality and merge. Fixed attendances are folded into residual seats,
    budgets and minimums; the merged plan must keep every rule, and be no worse."""
    import numpy as np

    from cesched.candidates import build_candidates, index_dataset
    from cesched.solve.greedy import desk_plan
    lns = importlib.import_module("cesched.solve.lns")

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    rng = np.random.default_rng(seed)
    chosen = desk_plan(ix, cand, seed)
    free = rng.random(ix.n_staff) < rng.choice([0.2, 0.5, 0.8])
    _solve_and_merge(ds, ix, cand, chosen, *lns.sub_problem(ix, cand, chosen, free))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(), st.integers(0, 2**16))
def test_a_guided_step_keeps_every_rule_and_every_settled_pair(ds, seed):
    """A step guided by an LP vertex (here any 0/½/1 values): pairs the plan and the guide agree
    on stay as the plan has them, the rest of the freed people's pairs are re-decided; the merged
    plan keeps every rule and is no worse."""
    import numpy as np

    from cesched.candidates import build_candidates, index_dataset
    from cesched.solve.greedy import desk_plan
    lns = importlib.import_module("cesched.solve.lns")

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    rng = np.random.default_rng(seed)
    chosen = desk_plan(ix, cand, seed)
    guide = rng.choice([0.0, 0.5, 1.0], size=cand.n_pairs)
    free, settled = lns._guided(rng, ix, cand, chosen, guide)
    open_pairs = ~settled
    assert (free[cand.pair_staff[open_pairs]]).all()  # (no cap at this size) everyone with an open pair is freed
    merged = _solve_and_merge(ds, ix, cand, chosen, *lns.sub_problem(ix, cand, chosen, free, settled=settled))
    assert (merged[settled] == chosen[settled]).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_the_lp_bound_after_highs_presolve_never_passes_the_optimum(ds):
    """The bound's LP is that of HiGHS' MIP presolve on small models, which keeps the integer
    optimum, not the LP's: it must still never pass the enumerated optimum."""
    from cesched.candidates import build_candidates, index_dataset
    from cesched.model.builder import build_model
    from cesched.solve.relax import lp_bound

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    pm = build_model(ds, ix, cand, terms=("shortfall_hours",))
    bound = lp_bound(pm, pm.term("shortfall_hours"), seconds=10)
    assert bound is not None
    assert bound <= Rules(ds).best()[0][0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=3, max_sessions=5))
def test_the_cut_bound_lies_between_the_max_flow_and_the_enumerated_optimum(ds):
    """The Lagrangian at the min cut's seat prices, with each person's own rules solved exactly,
    is never below the max flow (it is the flow's dual at those prices, tightened) and never above
    the true optimum, found here by trying every plan."""
    from cesched.candidates import build_candidates, index_dataset
    from cesched.solve.bound import cut_bound, flow_bound

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    bound = cut_bound(ds, ix, cand, seconds=10)
    assert flow_bound(ix, cand) <= bound <= Rules(ds).best()[0][0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets(max_staff=5, max_sessions=5))
def test_people_alike_merged_leave_the_max_flow_and_its_cut_as_they_were(ds):
    """The flow with one node per set of people alike equals the flow with a node per person, and
    its minimum cut puts the same sessions on the source side."""
    import numpy as np

    from cesched.candidates import build_candidates, index_dataset
    from cesched.solve import bound

    ix = index_dataset(ds)
    cand = build_candidates(ds, ix)
    merged = bound._max_flow(ix, cand)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bound, "_alike_weights", lambda ix, cand: np.ones(ix.n_staff, dtype=np.int64))
        alone = bound._max_flow(ix, cand)
    assert merged[0] == alone[0]
    assert merged[1].tolist() == alone[1].tolist()
