"""How a `--set KEY=VALUE` key is matched to a defaults.ini key.

The form shows each key as its flag (`--batch-size`), so users type that
spelling; prefigure's keys use underscores (`batch_size`). A key the INI does
not have is matched once more with `-` read as `_` and a leading `--`
dropped; when that still fails, the error suggests the closest keys. A key
the INI does have is never rewritten (a fork may well have `a-b` keys).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection


def normalise_set_key(fields: Collection[str], key: str) -> str:
    """`key` as the INI spells it: unchanged when the INI has it, else the flag spelling's key."""
    if key in fields:
        return key
    bare = key[2:] if key.startswith("--") else key
    for candidate in (bare, bare.replace("-", "_")):
        if candidate in fields:
            return candidate
    return key


def unknown_key_message(fields: Collection[str], key: str) -> str:
    """The one-line error for a key the INI lacks, with the closest keys when there are any."""
    wanted = key.lstrip("-").replace("-", "_")
    close = difflib.get_close_matches(wanted, list(fields), n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"--set {key}: defaults.ini has no such key{hint}"
