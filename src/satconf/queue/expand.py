"""A sweep's settings, expanded into one set of `--set` values per run (pure functions).

`--grid key=a,b` is a cartesian product over keys; `--zip key=a,b` lists are paired
by position (all the same length) and multiply the grid as one axis; `--random N`
draws N runs instead, each key from its grid list or from a `--range key=lo:hi`
(`:log` for a log-uniform draw, `:int` for whole numbers), with `--seed` for a
repeatable draw. Values stay text: each run's config parses them as `--set` does,
so a sweep value means exactly what it would on the command line.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

MAX_RUNS = 10_000  # a typo such as a 6-key grid of 10 values each is refused, not queued


class SweepSpecError(ValueError):
    """A sweep option that cannot be read; the message says which and how to write it."""


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    log: bool = False
    whole: bool = False

    def draw(self, rng: random.Random) -> str:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return str(round(value)) if self.whole else f"{value:.6g}"


@dataclass(frozen=True)
class SweepAxes:
    grid: dict[str, list[str]] = field(default_factory=dict)
    zipped: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    random: int | None = None
    seed: int | None = None


def _key_values(option: str, text: str) -> tuple[str, str]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip():
        raise SweepSpecError(f"{option} {text!r}: write KEY=VALUE,VALUE")
    return key.strip(), values


def parse_axes(grid: list[str], zipped: list[str], ranges: list[str], *,
               random_n: int | None = None, seed: int | None = None) -> SweepAxes:
    g: dict[str, list[str]] = {}
    z: dict[str, list[str]] = {}
    r: dict[str, Range] = {}
    for option, items, into in (("--grid", grid, g), ("--zip", zipped, z)):
        for text in items:
            key, values = _key_values(option, text)
            if key in g or key in z:
                raise SweepSpecError(f"{option} {key}: the key is swept twice")
            parts = [v.strip() for v in values.split(",")]
            if not parts or any(p == "" for p in parts):
                raise SweepSpecError(f"{option} {key}: an empty value (write e.g. {key}=1,2)")
            into[key] = parts
    for text in ranges:
        key, spec = _key_values("--range", text)
        bits = spec.split(":")
        try:
            low, high = float(bits[0]), float(bits[1])
        except (ValueError, IndexError):
            raise SweepSpecError(f"--range {key}: write LOW:HIGH, :log or :int after it "
                                 "(e.g. lr=1e-5:1e-3:log)") from None
        flags = set(bits[2:])
        if flags - {"log", "int"} or low >= high or ("log" in flags and low <= 0):
            raise SweepSpecError(f"--range {key}={spec}: LOW < HIGH, LOW > 0 for :log, and "
                                 "only :log or :int after them")
        r[key] = Range(low, high, "log" in flags, "int" in flags)
    lengths = {len(v) for v in z.values()}
    if len(lengths) > 1:
        raise SweepSpecError("--zip lists must be the same length: "
                             + ", ".join(f"{k} has {len(v)}" for k, v in z.items()))
    if r and random_n is None:
        raise SweepSpecError("--range needs --random N (how many runs to draw)")
    if random_n is not None and random_n < 1:
        raise SweepSpecError("--random must be 1 or more")
    if random_n is not None and z:
        raise SweepSpecError("--random draws each key on its own; --zip pairs lists: pick one")
    if not (g or z or r):
        raise SweepSpecError("nothing to sweep: give --grid, --zip or --random with --range")
    return SweepAxes(g, z, r, random_n, seed)


def expand(axes: SweepAxes) -> list[dict[str, str]]:
    """One dict of KEY -> value text per run, in a fixed order (the run numbers)."""
    if axes.random is not None:
        rng = random.Random(axes.seed)
        runs = []
        for _ in range(axes.random):
            run = {k: rng.choice(v) for k, v in axes.grid.items()}
            run.update({k: rg.draw(rng) for k, rg in axes.ranges.items()})
            runs.append(run)
        return runs
    zipped = ([dict(zip(axes.zipped, vals, strict=True))
               for vals in zip(*axes.zipped.values(), strict=True)] if axes.zipped else [{}])
    count = len(zipped) * math.prod(len(v) for v in axes.grid.values())
    if count > MAX_RUNS:
        raise SweepSpecError(f"the sweep would make {count} runs (at most {MAX_RUNS})")
    out = []
    for pair in zipped:
        for combo in itertools.product(*axes.grid.values()):
            out.append({**pair, **dict(zip(axes.grid, combo, strict=True))})
    return out
