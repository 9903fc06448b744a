"""What every check reads: the run's values, the workspace, parsed JSON configs."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satconf.checks.finding import Finding
from satconf.checks.jsonfile import load_json
from satconf.environment import EnvironmentInfo
from satconf.runconfig import RunConfig


@dataclass
class Context:
    config: RunConfig
    env: EnvironmentInfo | None
    values: dict[str, Any]
    bad: frozenset[str]  # keys with type errors: other checks leave them alone
    _json: dict[str, tuple[Any, list[Finding]]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: RunConfig, env: EnvironmentInfo | None) -> Context:
        # The config's one validation: the checks never validate again.
        return cls(config, env, config.normal, frozenset(config.errors()))

    @property
    def root(self) -> Path:
        """train.py's working folder: relative paths in the config resolve here."""
        return self.config.workspace.root

    def has(self, key: str) -> bool:
        return key in self.config.fields and key not in self.bad

    def value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default) if self.has(key) else default

    def text(self, key: str) -> str:
        """A text value, "" when unset, None, or not text."""
        value = self.value(key)
        return value.strip() if isinstance(value, str) else ""

    def resolve(self, text: str) -> Path:
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.root / path

    def path(self, key: str) -> Path | None:
        text = self.text(key)
        return self.resolve(text) if text else None

    def train_py_text(self) -> str:
        """The workspace's train.py source ("" when unreadable), read once."""
        if "__train_py__" not in self._json:
            try:
                text = self.config.workspace.train_py.read_text(encoding="utf-8",
                                                                errors="replace")
            except OSError:
                text = ""
            self._json["__train_py__"] = (text, [])
        return str(self._json["__train_py__"][0])

    def train_tree(self) -> ast.Module | None:
        """train.py's syntax tree (None when unreadable or not Python)."""
        from satconf.checks.train_source import parse

        return parse(self.config.workspace.train_py)

    def reads(self, key: str) -> bool:
        """Whether train.py may read `args.<key>` (True when that cannot be told)."""
        from satconf.checks.train_source import read_keys

        tree = self.train_tree()
        if tree is None:
            return True
        reads = read_keys(tree)
        # Only attribute reads count: a train.py with none reads no key (another parser).
        return reads.dynamic or key in reads.keys

    def json(self, key: str, what: str) -> tuple[Any, list[Finding]]:
        """The JSON file a key names, parsed once per run of the checks."""
        if key not in self._json:
            path = self.path(key)
            try:
                usable = path is not None and path.is_file()
            except OSError:
                usable = False  # the path checks report it
            if path is None or not usable:
                self._json[key] = (None, [])  # the path checks already say why
            else:
                self._json[key] = load_json(path, key, what)
        return self._json[key]
