"""Numbers as the terminal shows them to planners (kept free of heavy imports: the CLI uses it
before the engine is loaded)."""

from __future__ import annotations


def figure(value: float) -> str:
    """A stage value or KPI for people: thousands separated, at most two decimals, never in
    exponent form (``f"{x:,.6g}"`` printed 1,660,680 training minutes as 1.66068e+06)."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
