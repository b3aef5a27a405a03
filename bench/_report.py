"""The `BENCH` line every benchmark prints, and the check `bench/run.py` (and tests/harness/test_bench.py) applies.

    BENCH <name> value=<number><unit> baseline=<number><unit> ratio=<number>

Numbers are plain decimals (no sign, no exponent) with at least four significant digits, so the ratio a reader
recomputes from the printed value and baseline is the printed ratio: `ratio` is the printed value divided by the
printed baseline, rounded to the decimals it shows.
"""

from __future__ import annotations

import math
import re

NUMBER = r"\d+(?:\.\d+)?"
LINE = re.compile(
    rf"^BENCH (?P<name>[\w.-]+) value=(?P<value>{NUMBER})(?P<unit>[A-Za-z%/]*) "
    rf"baseline=(?P<baseline>{NUMBER})(?P=unit) ratio=(?P<ratio>{NUMBER})$"
)


def fixed(number: float, *, decimals: int, significant: int = 4) -> str:
    """`number` with at least `decimals` decimals and `significant` significant digits, never in exponent form."""
    if number and math.isfinite(number):
        decimals = max(decimals, significant - 1 - math.floor(math.log10(abs(number))))
    return f"{number:.{decimals}f}"


def bench_line(name: str, value: float, baseline: float, unit: str, *, decimals: int = 1, significant: int = 4) -> str:
    """The figure's line; the ratio is computed from the value and baseline as printed."""
    value_text = fixed(value, decimals=decimals, significant=significant)
    baseline_text = fixed(baseline, decimals=decimals, significant=significant)
    if float(baseline_text) <= 0:
        raise ValueError(f"{name}: the baseline is {baseline_text}{unit}; a ratio needs a positive baseline")
    ratio = float(value_text) / float(baseline_text)
    return (
        f"BENCH {name} value={value_text}{unit} baseline={baseline_text}{unit} "
        f"ratio={fixed(ratio, decimals=3, significant=3)}"
    )


def problem(line: str) -> str | None:
    """What is wrong with a `BENCH` line, or None when it is well formed and its ratio is value / baseline."""
    match = LINE.match(line)
    if match is None:
        return "not of the form `BENCH <name> value=<n><unit> baseline=<n><unit> ratio=<n>`"
    value, baseline, ratio = (float(match[key]) for key in ("value", "baseline", "ratio"))
    if baseline <= 0:
        return "the baseline is not positive"
    decimals = len(match["ratio"].partition(".")[2])
    if abs(ratio - value / baseline) > 0.5 * 10**-decimals * (1 + 1e-9):
        return f"ratio={match['ratio']} is not value / baseline = {value / baseline:.{decimals + 3}f}"
    return None
