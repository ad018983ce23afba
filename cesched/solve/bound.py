"""A true lower bound on total shortfall that scales to a city: a maximum flow of credit hours.

Hours flow from each person's open need (per category) through each course they may take (at most
once, at most its hours) and each session of it, into the session's seats (capacity × hours).
Every plan is such a flow, so total need minus the maximum flow bounds total shortfall from below.
It ignores clashes, weekly caps, budgets, coverage and min_attendance: valid, but only as strong
as seats and eligibility make it. Where one CP-SAT model over the district is too big to prove
anything, this is the bound reported, never a guess.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow

from ..candidates import Candidates, Indexed


def flow_bound(ix: Indexed, cand: Candidates) -> int:
    """Lower bound on total shortfall, in internal units (credit hours ×100)."""
    need = ix.need
    if cand.n_pairs == 0:
        return int(need.sum())
    gain, pc_ids, pc_of_pair, pco_of_pair = _pair_keys(ix, cand)
    # nodes: 0 source, 1 sink, person-category, person-course, session
    n_pc, n_pco = len(pc_ids), int(pco_of_pair.max()) + 1
    pc_node = 2 + np.arange(n_pc)
    pco_node = 2 + n_pc + np.arange(n_pco)
    session_node = 2 + n_pc + n_pco + np.arange(len(ix.session_ids))
    pco_cap = np.zeros(n_pco, dtype=np.int64)
    np.maximum.at(pco_cap, pco_of_pair, gain)
    pco_pc = np.zeros(n_pco, dtype=np.int64)
    pco_pc[pco_of_pair] = pc_of_pair
    del pc_of_pair  # per-pair arrays go once used: 35.9 million pairs at 20,000 staff (allow)
    tails = np.concatenate([np.zeros(n_pc, np.int64), pc_node[pco_pc], pco_node[pco_of_pair], session_node])
    del pco_of_pair
    heads = np.concatenate([pc_node, pco_node, session_node[cand.pair_session], np.ones(len(session_node), np.int64)])
    caps = np.concatenate([need[pc_ids // 2, pc_ids % 2], pco_cap, gain,
                           ix.session_capacity * ix.session_hours])
    del gain
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails, heads, caps)
    del tails, heads, caps  # the solver holds its own copy
    status = solver.solve(0, 1)
    if status != solver.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    return int(need.sum() - solver.optimal_flow())


def _pair_keys(ix: Indexed, cand: Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: the hours it can close; the person-category keys and each pair's among them;
    each pair's person-course (numbered in key order)."""
    cat = ix.session_category[cand.pair_session]
    gain = np.minimum(ix.session_hours[cand.pair_session], ix.need[cand.pair_staff, cat])
    pc_ids, pc_of_pair = np.unique(cand.pair_staff * 2 + cat, return_inverse=True)
    del cat
    course = ix.session_course[cand.pair_session]
    _, pco_of_pair = np.unique(cand.pair_staff.astype(np.int64) * len(ix.course_ids) + course, return_inverse=True)
    return gain, pc_ids, pc_of_pair, pco_of_pair
