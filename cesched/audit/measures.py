"""The objective's figures and the per-person, per-unit and per-session reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import PlanKpis
from .rules import enrolment, unit_spend
from .tables import PlanTables, day_of, week_of
from .timing import ShiftContact


def _per_staff(tables: PlanTables, staff: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(tables.staff), dtype=np.asarray(values).dtype if len(values) else np.int64)
    np.add.at(out, staff, values)
    return out


def weekly_load(tables: PlanTables) -> pd.Series:
    """Minutes of shifts plus attended meetings per (staff, ISO week), each counted in its start week."""
    sh, me = tables.shifts, tables.meet
    frame = pd.DataFrame({
        "staff": np.concatenate([sh["staff"].to_numpy(), me["staff"].to_numpy()]),
        "week": np.concatenate([week_of(sh["start"].to_numpy()), week_of(me["start"].to_numpy())]),
        "minutes": np.concatenate([(sh["end"] - sh["start"]).to_numpy(), (me["end"] - me["start"]).to_numpy()]),
    })
    return frame.groupby(["staff", "week"], sort=False)["minutes"].sum()


def staff_report(tables: PlanTables, contact: ShiftContact) -> pd.DataFrame:
    st, att, meet = tables.staff, tables.att, tables.meet
    n = len(st)
    public = (att["category"] == "public").to_numpy()
    a_staff, hours = att["staff"].to_numpy(), att["hours"].to_numpy()
    planned_public = _per_staff(tables, a_staff[public], hours[public])
    planned_prof = _per_staff(tables, a_staff[~public], hours[~public])
    short_public = np.maximum(0, st["required_public"].to_numpy() - st["done_public"].to_numpy() - planned_public)
    short_prof = np.maximum(
        0, st["required_professional"].to_numpy() - st["done_professional"].to_numpy() - planned_prof)
    m_staff = meet["staff"].to_numpy()

    load = weekly_load(tables)
    limit = tables.ds.policy.rules.max_weekly_load_hours * 60
    who = load.index.get_level_values("staff").to_numpy()
    excess = np.maximum(0.0, load.to_numpy() - limit) if limit > 0 else np.zeros(len(load))
    overload = np.zeros(n)
    np.add.at(overload, who, excess)
    peak_load = np.zeros(n, dtype=np.int64)
    np.maximum.at(peak_load, who, load.to_numpy())

    shortfall = short_public + short_prof
    return pd.DataFrame({
        "staff_id": st["staff_id"], "unit_id": st["unit_id"], "field": st["field"],
        "planned_public": planned_public / 100, "planned_professional": planned_prof / 100,
        "shortfall_public": short_public / 100, "shortfall_professional": short_prof / 100,
        "shortfall": shortfall / 100,
        "overlap_minutes": _per_staff(tables, m_staff, contact.overlap),
        "rest_breaches": _per_staff(tables, m_staff, contact.rest),
        "overload_hours": overload / 60,
        "peak_weekly_load_hours": peak_load / 60,
        "training_minutes": _per_staff(tables, m_staff, (meet["end"] - meet["start"]).to_numpy()),
        "spend": _per_staff(tables, a_staff, att["fee"].to_numpy()) / 100,
        "compliant": shortfall == 0,
    })


def peak_days(tables: PlanTables) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the most distinct staff with a meeting starting on one date, and the first such date."""
    meet = tables.meet
    seen = pd.DataFrame({"unit": meet["unit"], "day": day_of(meet["start"].to_numpy()),
                         "staff": meet["staff"]}).drop_duplicates()
    per_day = seen.groupby(["unit", "day"], sort=True).size()
    units = len(tables.ds.units)
    peak = np.zeros(units, dtype=np.int64)
    day = np.full(units, -1, dtype=np.int64)
    if len(per_day):
        best = per_day.groupby(level="unit").idxmax()  # first (earliest) date with the largest count
        u = best.index.to_numpy()
        peak[u] = per_day.loc[best.to_numpy()].to_numpy()
        day[u] = [d for _, d in best.to_numpy()]
    return peak, day


def unit_report(tables: PlanTables, staff: pd.DataFrame, absent: np.ndarray) -> pd.DataFrame:
    units = tables.ds.units
    n = len(units)
    unit = tables.staff["unit"].to_numpy()
    peak, day = peak_days(tables)
    short = np.zeros(n)
    np.add.at(short, unit, np.rint(staff["shortfall"].to_numpy() * 100))
    dates = pd.Series(np.where(day >= 0, day, 0).astype("datetime64[D]")).dt.date.astype(object)
    return pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy(dtype=object), "budget": units["budget"].to_numpy(dtype=float),
        "spent": unit_spend(tables) / 100, "staff": np.bincount(unit, minlength=n),
        "compliant_staff": np.bincount(unit, weights=staff["compliant"].to_numpy(), minlength=n).astype(np.int64),
        "shortfall_hours": short / 100, "peak_absent": absent,
        "max_absent": units["max_absent"].to_numpy(dtype=float), "peak_day": peak,
        "peak_day_date": dates.where(day >= 0, None).to_numpy(),
    })


def session_report(tables: PlanTables) -> pd.DataFrame:
    se, ds = tables.sessions, tables.ds
    enrolled = enrolment(tables)
    least = se["min_attendance"].to_numpy()
    status = np.where(enrolled == 0, "cancelled",
                      np.where(enrolled >= np.maximum(1, least), "runs", "under_minimum"))
    return pd.DataFrame({
        "session_id": se["session_id"], "course_id": se["course_id"], "category": se["category"],
        "organizer": se["organizer"], "start": ds.sessions["start"].to_numpy(), "end": ds.sessions["end"].to_numpy(),
        "enrolled": enrolled, "capacity": se["capacity"], "min_attendance": least, "status": status.astype(object),
    })


def kpis(tables: PlanTables, staff: pd.DataFrame, units: pd.DataFrame, sessions: pd.DataFrame) -> PlanKpis:
    short = np.rint(staff["shortfall"].to_numpy() * 100).astype(np.int64)
    meet, att = tables.meet, tables.att
    overload_minutes = staff["overload_hours"].to_numpy() * 60
    return PlanKpis(
        shortfall_hours=int(short.sum()) / 100,
        largest_shortfall_hours=int(short.max(initial=0)) / 100,
        overlap_minutes=int(staff["overlap_minutes"].sum()),
        rest_breaches=int(staff["rest_breaches"].sum()),
        overload_hours=float(round(overload_minutes.sum(), 6)) / 60,
        unit_peak_days=int(units["peak_day"].sum()),
        spend=int(att["fee"].sum()) / 100,
        training_minutes=int((meet["end"] - meet["start"]).sum()),
        assignments=len(att),
        staff_compliant=int(staff["compliant"].sum()),
        sessions_running=int((sessions["status"] == "runs").sum()),
        sessions_cancelled=int((sessions["status"] == "cancelled").sum()),
    )
