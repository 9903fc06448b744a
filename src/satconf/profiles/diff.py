"""Which values differ between two profiles (or a profile and the INI defaults).

The values and the launch side (GPUs, training python, launch options) are
compared alike, so two profiles that differ only in their GPUs are not
reported as equal.
"""

from __future__ import annotations

from typing import Any

from satconf.profiles.codec import same_value


class _Missing:
    """A key one side does not have (distinct from a None value)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def diff_values(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """`(key, a_value, b_value)` for each key whose values differ, type included.

    Keys come in `a`'s order, then `b`'s extra keys; a side without the key
    gives `MISSING`.
    """
    out: list[tuple[str, Any, Any]] = []
    for key in [*a, *(k for k in b if k not in a)]:
        av, bv = a.get(key, MISSING), b.get(key, MISSING)
        if av is MISSING or bv is MISSING or not same_value(av, bv):
            out.append((key, av, bv))
    return out


def launch_settings(gpus: list[int] | None, python: str | None,
                    options: dict[str, Any] | None) -> dict[str, Any]:
    """A profile's launch side as comparable text: GPUs, training python, launch options.

    Nested options flatten to dotted keys (`options.cluster.partition`), so a
    diff names the one option that differs.
    """
    out: dict[str, Any] = {
        "gpus": "all visible" if gpus is None else (",".join(map(str, gpus)) or "none"),
        "python": python or "(satconf's default)",
    }

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            out[prefix] = value

    for key, value in (options or {}).items():
        walk(f"options.{key}", value)
    return out
