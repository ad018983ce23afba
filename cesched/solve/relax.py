"""A true lower bound from the LP relaxation of the CP-SAT model itself, solved by HiGHS.

The rows are read back from the built CP-SAT model (linear rows, at-most-one cliques, clauses and
implications), so the LP relaxes exactly the model being solved. With the clash cliques it is
stronger than the max-flow bound (300 staff, forbid: 338 h against 284 h) where an interior point
solves it in seconds; above ``LP_BOUND_MAX_PAIRS`` it does not finish before a planner's minute is
out (3,000 staff: 2.5 to 6.5 minutes), so it runs only in longer runs, beside the neighbourhood
search on a thread of its own (``BoundBeside``), and the max flow and cut bound stand alone in
shorter ones.

The bound does not trust the LP solver's optimality: it is the Lagrangian value of whatever duals
HiGHS returns, ``y·b + min over the variable box of (c − Aᵀy)·x``, which bounds every feasible
plan for any duals of the right sign. A stopped or inaccurate LP gives a weaker bound, never a
wrong one. On small models the rows are first put through HiGHS' MIP presolve, which keeps the
integer optimum and tightens the LP (300 staff: 345.5 h, the optimum, instead of 338 h); there the
bound trusts that presolve, as it would trust any MIP solver's. There the LP's vertex (HiGHS'
crossover, postsolved) also guides the neighbourhood search.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model.builder import PlanModel, Term

#: above this many candidate pairs the LP takes longer than a planner's run, so it is not solved
#: before the search (measured: 64,529 pairs 7.8 s; 519,992 pairs over 180 s, one core, and
#: 155-173 s on 2026-12-05); longer runs give it a thread beside the search (``BoundBeside``)
LP_BOUND_MAX_PAIRS = 100_000
#: above LP_BOUND_MAX_PAIRS the LP runs beside the neighbourhoods when its estimated seconds
#: (``lp_seconds_estimate``) are at most this share of theirs: it must end before they do to count,
#: and it shares the two cores with their CP-SAT steps
LP_BESIDE_SHARE = 0.6
#: nor above this many pairs, whatever the time: the model built for its rows, the rows and the
#: interior point's factors would hold gigabytes (no district this size was measured: 3,000 staff
#: "allow", 794,168 pairs, is the largest)
LP_BESIDE_MAX_PAIRS = 1_000_000
#: HiGHS' MIP presolve raises the LP bound on small models only (30 s, measured on generated
#: districts, forbid/allow: 300 staff 338 -> 345.5 h and 160.5 -> 168 h; 500 staff +42 h and +7 h;
#: 700 staff +4 h and +1.5 h; 1,000 staff (64,529 pairs) nothing, and with 12 s its 6 s of presolve
#: left the interior point too little time: 4,751.5 h instead of 4,889 h)
PRESOLVE_MAX_PAIRS = 50_000
#: most of the bound's time the presolve may take before the model's own rows are used instead
PRESOLVE_SHARE = 0.5
_BIG = 2**62


@dataclass
class LinearRows:
    """``lower <= A x <= upper`` in compressed rows, with the variables' boxes."""

    starts: list[int]
    index: list[int]
    value: list[float]
    lower: list[float]
    upper: list[float]
    col_lower: np.ndarray
    col_upper: np.ndarray


def _literal(lit: int) -> tuple[int, float, float]:
    """(variable, coefficient, constant) of a CP-SAT literal: ¬v is 1 − v."""
    return (lit, 1.0, 0.0) if lit >= 0 else (-lit - 1, -1.0, 1.0)


def linear_rows(pm: PlanModel) -> LinearRows:
    """The model's constraints as LP rows; raises on a constraint kind the model never builds."""
    proto = pm.model.proto
    domains = [list(v.domain) for v in proto.variables]
    rows = LinearRows([0], [], [], [], [], np.array([d[0] for d in domains], float),
                      np.array([d[-1] for d in domains], float))

    def add(terms: list[tuple[int, float, float]], lo: float, hi: float) -> None:
        const = sum(k for _, _, k in terms)
        rows.index.extend(v for v, _, _ in terms)
        rows.value.extend(s for _, s, _ in terms)
        rows.starts.append(len(rows.index))
        rows.lower.append(lo - const)
        rows.upper.append(hi - const)

    for c in proto.constraints:
        enforced = list(c.enforcement_literal)
        if c.has_linear() and not enforced:
            d = list(c.linear.domain)
            add([(v, float(k), 0.0) for v, k in zip(c.linear.vars, c.linear.coeffs)],
                d[0] if d[0] > -_BIG else -math.inf, d[-1] if d[-1] < _BIG else math.inf)
        elif c.has_at_most_one() and not enforced:
            add([_literal(lit) for lit in c.at_most_one.literals], -math.inf, 1.0)
        elif c.has_bool_or() and not enforced:
            add([_literal(lit) for lit in c.bool_or.literals], 1.0, math.inf)
        elif c.has_bool_and():  # e ⇒ l for each l: (1 − e) + l ≥ 1, or with no e, l ≥ 1
            for lit in c.bool_and.literals:
                guard = [(v, -s, 1.0 - k) for v, s, k in (_literal(e) for e in enforced)]
                add(guard + [_literal(lit)], 1.0, math.inf)
        else:
            raise ValueError(f"no LP relaxation for constraint {c}")
    return rows


@dataclass
class Relaxation:
    """What the LP relaxation of a term gives: a lower bound and a vertex to guide the search."""

    bound: int | None  # internal units; None when HiGHS returned no usable duals
    pairs: np.ndarray | None  # each pair's value at an LP vertex (order of ``PlanModel.x``), or None


def lp_bound(pm: PlanModel, term: Term, seconds: float) -> int | None:
    """Lower bound on ``term`` (internal units), or None if HiGHS returns no usable duals."""
    return lp_relaxation(pm, term, seconds, vertex=False).bound


def lp_relaxation(pm: PlanModel, term: Term, seconds: float, vertex: bool = True,
                  ceiling: int | None = None, should_stop: Callable[[], bool] | None = None) -> Relaxation:
    """The bound of ``lp_bound`` and, on models HiGHS presolves and if ``vertex``, the pairs'
    values at a vertex.

    On models up to ``PRESOLVE_MAX_PAIRS`` the LP is that of the model after HiGHS' MIP presolve
    when the presolve finishes in ``PRESOLVE_SHARE`` of the time; otherwise the model's own rows.
    Only the presolved LP is taken on to a vertex, by HiGHS' crossover from the interior point
    (whose own values are fractional almost everywhere: no guide) in what is left of the time;
    the vertex comes back to the model's columns through HiGHS' postsolve.

    ``ceiling``: the term's value in a plan known to keep every rule. A presolved bound above it
    proves the presolve wrong (it dropped that plan): then the model's own rows are used.
    ``should_stop`` is asked between HiGHS' iterations: true ends the LP early (Ctrl-C must not
    wait for it); the duals it had still give a true, weaker bound.
    """
    t = time.monotonic()
    rows = linear_rows(pm)
    cost = term_cost(rows, term)
    columns = [v.index for v in pm.x]
    presolved = presolve(rows, cost, PRESOLVE_SHARE * seconds) if len(pm.x) <= PRESOLVE_MAX_PAIRS else None
    if presolved is not None:
        relaxed = _relax(rows, cost, term, presolved, seconds - (time.monotonic() - t), vertex, columns,
                         should_stop)
        if ceiling is None or relaxed.bound is None or relaxed.bound <= ceiling:
            return relaxed
    return _relax(rows, cost, term, None, seconds - (time.monotonic() - t), vertex, columns, should_stop)


def _relax(rows: LinearRows, cost: np.ndarray, term: Term, presolved: Presolved | None, seconds: float,
           vertex: bool, columns: list[int], should_stop: Callable[[], bool] | None) -> Relaxation:
    """The bound (and, on presolved rows, the pairs' values at a vertex; ``columns``: the pairs'
    variables) of the LP over ``presolved`` or the model's own rows."""
    t = time.monotonic()
    offset = 0.0
    if presolved is not None:
        rows, cost, offset = presolved.rows, presolved.cost, presolved.offset
        if not len(cost):  # presolve solved the whole model
            return Relaxation(math.ceil(offset - 1e-6 * max(1.0, abs(offset))) + term.offset, None)
    solved = solve_lp(rows, cost, seconds, should_stop)
    if solved is None:
        return Relaxation(None, None)
    bound = lagrangian_bound(rows, cost, solved.duals, offset) + term.offset
    left = seconds - (time.monotonic() - t)
    stopped = should_stop is not None and should_stop()
    point = crossover(solved, left) if vertex and presolved is not None and left > 0 and not stopped else None
    values = presolved.restore(point) if point is not None else None
    return Relaxation(bound, None if values is None else np.clip(values[columns], 0.0, 1.0))


def lp_seconds_estimate(n_pairs: int) -> float:
    """Seconds HiGHS' interior point needs for the LP of a model of ``n_pairs`` candidate pairs,
    from measured runs on this contract's generated districts (2 cores, 2026-12-05): 64,529 pairs
    7.8 s; 3,000 staff 519,992 pairs ("forbid") 155-173 s, 794,168 pairs ("allow") 383 s. The power
    1.6 keeps every measured run under its estimate."""
    return 7.8 * (n_pairs / 64_529) ** 1.6


class BoundBeside:
    """The LP bound of a term computed on a thread beside other work (HiGHS leaves Python's lock
    while it runs). The rows are read from the model on the caller's thread, before the model can
    change; ``result`` ends the LP if it is still running and returns the bound its duals give,
    which is true however early it ended (None when it left no usable duals)."""

    def __init__(self, pm: PlanModel, term: Term, seconds: float, should_stop: Callable[[], bool]):
        self.rows = linear_rows(pm)
        self.cost = term_cost(self.rows, term)
        self.term = term
        self.bound: int | None = None
        self.seconds = 0.0  # the LP's own wall time
        self.error: Exception | None = None
        self._ended = False
        self._stop = lambda: self._ended or should_stop()
        self._seconds = seconds
        self._thread = threading.Thread(target=self._run, name="cesched-lp-bound", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        t = time.monotonic()
        try:
            self.bound = _relax(self.rows, self.cost, self.term, None, self._seconds, False, [], self._stop).bound
        except Exception as exc:  # noqa: BLE001 - a failed bound must not end the plan's run
            self.error = exc  # the plan keeps the bounds it had; the error is kept for the caller
        self.seconds = time.monotonic() - t

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> int | None:
        self._ended = True
        self._thread.join()
        return self.bound


@dataclass
class Presolved:
    """The model as HiGHS' MIP presolve leaves it, and the way back to the model's columns."""

    rows: LinearRows
    cost: np.ndarray
    offset: float  # the objective's constant
    restore: Callable[[object], np.ndarray | None]  # a HiGHS solution of these rows -> the model's columns


def presolve(rows: LinearRows, cost: np.ndarray, seconds: float) -> Presolved | None:
    """The model as HiGHS' MIP presolve leaves it (every column integer), or None when the
    presolve does not finish in time.

    Presolve keeps the optimum of the integer model, not the LP's: probing and clique merging
    tighten the rows, so the LP of its result bounds higher (300 staff: 345.5 h, the optimum,
    against 338 h under "forbid"; 168 h against 160.5 h under "allow"; 0.7 s). The bound thus
    trusts HiGHS' presolve; the duals are still checked by ``lagrangian_bound``.
    """
    import highspy

    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(0.1, seconds)))
    load_rows(h, rows, cost)
    n = len(cost)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
    h.presolve()
    status = h.getModelPresolveStatus()
    done = highspy.HighsPresolveStatus
    if status not in (done.kReduced, done.kNotReduced, done.kReducedToEmpty):
        return None
    lp = h.getPresolvedLp()
    if lp.sense_ != highspy.ObjSense.kMinimize:
        return None
    matrix = lp.a_matrix_
    colwise = matrix.format_ == highspy.MatrixFormat.kColwise
    if not colwise and matrix.format_ != highspy.MatrixFormat.kRowwise:
        return None
    start, index = np.asarray(matrix.start_, np.int64), np.asarray(matrix.index_, np.int64)
    outer = lp.num_col_ if colwise else lp.num_row_
    count = np.diff(start) if len(start) == outer + 1 else np.zeros(outer, np.int64)  # no nonzeros: may be empty
    nonzeros = int(count.sum())
    value = np.asarray(matrix.value_, float)[:nonzeros]
    major, minor = np.repeat(np.arange(outer), count), index[:nonzeros]
    row, col = (minor, major) if colwise else (major, minor)
    order = np.lexsort((col, row))
    starts = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=lp.num_row_))])
    reduced = LinearRows(starts.tolist(), col[order].tolist(), value[order].tolist(),
                         list(lp.row_lower_), list(lp.row_upper_),
                         np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float))

    def restore(solution) -> np.ndarray | None:
        if h.postsolve(solution) == highspy.HighsStatus.kError:  # kWarning is its usual answer for an LP point
            return None
        values = np.asarray(h.getSolution().col_value, float)
        return values if len(values) == n and np.isfinite(values).all() else None

    return Presolved(reduced, np.asarray(lp.col_cost_, float), float(lp.offset_), restore)


def term_cost(rows: LinearRows, term: Term) -> np.ndarray:
    """The term's coefficients as a cost per column (its constant offset is left out)."""
    cost = np.zeros(len(rows.col_lower))
    np.add.at(cost, [v.index for v in term.variables], np.asarray(term.coefficients, float))
    return cost


@dataclass
class LpSolution:
    duals: np.ndarray
    objective: float  # HiGHS' figure, not trusted for the bound
    highs: object  # the HiGHS instance that solved it, and its solution, for crossover
    solution: object


def solve_lp(rows: LinearRows, cost: np.ndarray, seconds: float,
             should_stop: Callable[[], bool] | None = None) -> LpSolution | None:
    """Row duals and objective of ``min cost·x`` over the rows, from HiGHS' interior point (no
    crossover: cut short by the time limit it left no usable duals; see ``crossover``), ended
    early when ``should_stop`` says so."""
    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")  # duals are all the bound needs
    # no "threads": HiGHS' thread pool is global to the process, and fixing its size here would
    # make a caller's later HiGHS run with another size fail (it did: the benchmark's MIP)
    h.setOptionValue("time_limit", float(max(0.1, seconds)))
    load_rows(h, rows, cost)
    if should_stop is not None:
        interrupt_when(h, should_stop)
    h.run()
    solution = h.getSolution()
    duals = np.asarray(solution.row_dual, dtype=float)
    if len(duals) != len(rows.lower) or not np.isfinite(duals).all():
        return None
    return LpSolution(duals, float(h.getInfo().objective_function_value), h, solution)


def crossover(solved: LpSolution, seconds: float):
    """A vertex of the LP from its interior point (HiGHS' crossover), or None if none in time."""
    import highspy

    h = solved.highs
    h.setOptionValue("time_limit", float(h.getRunTime() + max(0.1, seconds)))
    if h.crossover(solved.solution) != highspy.HighsStatus.kOk or not h.getBasis().valid:
        return None
    return h.getSolution()


def interrupt_when(h, should_stop: Callable[[], bool]) -> None:
    """Have HiGHS ask ``should_stop`` at each interior-point and simplex iteration and stop when
    it says so: its time limit alone kept a Ctrl-C waiting for the whole LP (up to a fifth of the
    run's limit)."""
    import highspy

    def ask(kind, message, data_out, data_in, user_data) -> None:
        if data_in is not None and should_stop():
            data_in.user_interrupt = True

    h.setCallback(ask, None)
    for kind in (highspy.cb.HighsCallbackType.kCallbackIpmInterrupt,
                 highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt):
        h.startCallback(kind)


def load_rows(h, rows: LinearRows, cost: np.ndarray) -> None:
    """Columns with their boxes and costs, then the rows, into a HiGHS instance."""
    import highspy  # imported here: the CLI's start-up need not pay for it

    lower, upper = np.array(rows.lower), np.array(rows.upper)
    h.addCols(len(cost), cost, rows.col_lower, rows.col_upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    inf = highspy.kHighsInf
    h.addRows(len(lower), np.where(np.isfinite(lower), lower, -inf), np.where(np.isfinite(upper), upper, inf),
              len(rows.index), np.array(rows.starts[:-1], dtype=np.int32), np.array(rows.index, dtype=np.int32),
              np.array(rows.value))


def quiet_highs():
    """A HiGHS instance that prints nothing: highspy's ``Highs()`` writes its banner to stdout when
    it is created, before any option can be set (HiGHS issue #2749), which would mix into the
    CLI's output; the core class it wraps does not."""
    import highspy

    core = getattr(getattr(highspy, "highs", None), "_Highs", None)
    return core() if core is not None else highspy.Highs()


def lagrangian_bound(rows: LinearRows, cost: np.ndarray, duals: np.ndarray, offset: float = 0.0) -> int:
    """``offset + y·b + min over the box of (c − Aᵀy)·x`` for duals clipped to the signs their rows
    allow, rounded up to an integer (the objective is integral) after a margin for floating error."""
    lower, upper = np.array(rows.lower), np.array(rows.upper)
    y_lo = np.where(np.isfinite(lower), np.maximum(duals, 0.0), 0.0)  # a ≥ row prices up
    y_hi = np.where(np.isfinite(upper), np.minimum(duals, 0.0), 0.0)  # a ≤ row prices down
    y = y_lo + y_hi
    row_of = np.repeat(np.arange(len(lower)), np.diff(rows.starts))
    reduced = cost - np.bincount(np.asarray(rows.index, dtype=np.int64),
                                 weights=np.asarray(rows.value) * y[row_of], minlength=len(cost))
    rhs = y_lo * np.where(np.isfinite(lower), lower, 0.0) + y_hi * np.where(np.isfinite(upper), upper, 0.0)
    box = np.where(reduced > 0, reduced * rows.col_lower, reduced * rows.col_upper)
    value = offset + rhs.sum() + box.sum()
    margin = 1e-9 * (abs(offset) + np.abs(rhs).sum() + np.abs(box).sum()) + 1e-6
    return math.ceil(value - margin)
