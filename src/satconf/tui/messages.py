"""Every message the TUI's widgets and workers send, as small dataclasses.

Messages go up (a widget or worker tells its parent what happened); the app
answers by setting attributes on widgets (down). Nothing here does work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from satconf.fields import Values


@dataclass
class FormChanged(Message):
    """The form's values after an edit; the app validates them (once) and sends errors down."""

    key: str | None  # the edited key; None after loading a whole profile
    values: Values
    parse_errors: dict[str, str]  # rows whose text their kind cannot read


@dataclass
class FoldGroup(Message):
    """A group title was clicked: fold or unfold its rows."""

    group: str


@dataclass
class ResetField(Message):
    """A row asks for its field's default back."""

    key: str


@dataclass
class BrowsePath(Message):
    """A path row asks for the file/folder picker."""

    key: str
    directory: bool


@dataclass
class GpusListed(Message):
    """The NVML (or fake) GPU list, read in a worker."""

    listing: Any  # satconf.gpus.GpuListing; Any keeps gpus out of the import path


@dataclass
class ChecksDone(Message):
    """The launch use case's full result for the form generation it was computed from."""

    generation: int
    prepared: Any  # satconf.launch.Prepared; None when the checks could not run
    note: str | None = None  # why the checks could not run, when they could not
    partial: bool = False  # the quick checks only; the ones needing the probe follow
    env: Any = None  # the training python's EnvironmentInfo, when freshly probed


@dataclass
class ChoicesProbed(Message):
    """Names the training environment's Lightning accepts, by field key."""

    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class RunLaunched(Message):
    """A run started (record from satconf.runs) or failed to start (error)."""

    record: Any = None
    error: str | None = None


@dataclass
class RunLines(Message):
    """New lines of a run's log, batched."""

    lines: list[str]


@dataclass
class RunEnded(Message):
    """The followed run is no longer running."""

    exit_code: int | None
    status: str
