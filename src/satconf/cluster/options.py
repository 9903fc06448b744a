"""Cluster options: which engine starts a run and what it asks the cluster for.

Kept in a profile as `options["cluster"]` (a TOML table) and shown by the
form; each field's description is the help text the form displays. The
number of nodes is not here: it is the config's own `num_nodes` field, so the
value train.py gives Lightning and the nodes SLURM allocates are one number.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from satconf.fields import FieldSpec
from satconf.pydantic_plugins import skip_plugin_discovery
from satconf.runs.engines import NAMES

skip_plugin_discovery()  # before this module builds a model: see satconf.pydantic_plugins

ENGINES: tuple[str, ...] = NAMES  # the registered engines (satconf.runs.engines)
OPTIONS_KEY = "cluster"  # the table in a profile's options
ENGINE_GROUP = "Engine"  # the form's group of these options

# sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
_TIME = re.compile(r"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}){0,2})$")
_SLURM_WORD = re.compile(r"^[A-Za-z0-9_.,:+=@/-]*$")


class ClusterOptionsError(ValueError):
    """Cluster options that cannot be used, one line per problem."""


class ClusterOptions(BaseModel):
    """How a run is handed to one machine or to a cluster."""

    # Built on first validation: a local run with no engine table never needs the validator,
    # and `satconf --help` or the form's first frame should not pay for it.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    engine: str = Field(
        "local",
        description="local: this machine; slurm: a batch job submitted with sbatch; "
                    "torchrun: one torchrun command per node (satconf runs this node's)",
        json_schema_extra={"enum": list(NAMES)},
    )
    gpus_per_node: int = Field(
        1, ge=0, le=64,
        description="GPUs each node gives the run (0: CPU only; only a CPU trainer such as "
                    "the demo can use that)",
    )
    tasks_per_node: int | None = Field(
        None, ge=1, le=256,
        description="training processes per node; empty: one per GPU (Lightning needs "
                    "exactly that), or 1 with no GPU",
    )
    gpu_request: Literal["gres", "gpus-per-node"] = Field(
        "gres",
        description="how the batch script asks SLURM for GPUs: --gres=gpu:N or "
                    "--gpus-per-node=N",
    )
    partition: str = Field("", description="SLURM partition (empty: the cluster's default)")
    account: str = Field("", description="SLURM account to charge (empty: your default)")
    time_limit: str = Field(
        "", description="SLURM time limit, e.g. 2-00:00:00 or 90 (minutes); empty: the "
                        "partition's default",
        json_schema_extra={"flag": "--time", "metavar": "LIMIT"},
    )
    cpus_per_task: int | None = Field(
        None, ge=1, le=1024,
        description="CPUs for each training process (DataLoader workers); empty: SLURM's "
                    "default",
    )
    job_name: str = Field("", description="SLURM job name; empty: the run's name")
    extra_sbatch: list[str] = Field(
        default_factory=list,
        description="more #SBATCH lines, one option each, e.g. --mem=200G or "
                    "--constraint=a100",
        json_schema_extra={"flag": "--sbatch", "metavar": "OPTION"},
    )
    master_addr: str = Field(
        "", description="torchrun: address of node 0 that every node can reach; empty: "
                        "this machine's host name",
    )
    master_port: int = Field(29500, ge=1, le=65535, description="torchrun: a free TCP port "
                                                                "on node 0")
    node_rank: int = Field(0, ge=0, description="torchrun: which node this machine is "
                                               "(satconf runs that node's command)")

    @field_validator("engine")
    @classmethod
    def _engine(cls, v: str) -> str:
        if v not in NAMES:
            raise ValueError(f"no engine called {v!r} (known: {', '.join(NAMES)})")
        return v

    @field_validator("time_limit")
    @classmethod
    def _time(cls, v: str) -> str:
        v = v.strip()
        if v and not _TIME.match(v):
            raise ValueError("write minutes, HH:MM:SS or D-HH:MM:SS (e.g. 90 or 2-00:00:00)")
        return v

    @field_validator("partition", "account")
    @classmethod
    def _word(cls, v: str) -> str:
        v = v.strip()
        if not _SLURM_WORD.match(v):
            raise ValueError("only letters, digits and _ . , : + = @ / -")
        return v

    @field_validator("job_name")
    @classmethod
    def _job_name(cls, v: str) -> str:
        v = v.strip()
        if any(ch in v for ch in "\n\r\"'$`\\"):
            raise ValueError("no quotes, backslashes, $ or line breaks")
        return v

    @field_validator("master_addr")
    @classmethod
    def _addr(cls, v: str) -> str:
        v = v.strip()
        if not _SLURM_WORD.match(v):
            raise ValueError("a host name or IP address")
        return v

    @field_validator("extra_sbatch")
    @classmethod
    def _extra(cls, lines: list[str]) -> list[str]:
        out: list[str] = []
        for raw in lines:
            line = raw.strip()
            if line.startswith("#SBATCH"):
                line = line[len("#SBATCH"):].strip()
            if not line:
                continue
            if "\n" in line or "\r" in line:
                raise ValueError(f"{raw!r}: one option per line")
            if not line.startswith("-"):
                raise ValueError(f"{raw!r}: an sbatch option starts with - (e.g. --mem=64G)")
            out.append(line)
        return out

    def tasks(self) -> int:
        """Processes per node: the explicit value, else one per GPU (at least one)."""
        if self.tasks_per_node is not None:
            return self.tasks_per_node
        return max(self.gpus_per_node, 1)

    def to_options(self) -> dict[str, Any]:
        """The profile table: only what differs from the defaults (small, readable TOML)."""
        return self.model_dump(exclude_defaults=True, exclude_none=True)


def option_flag(key: str) -> str:
    """The command-line flag of an option (`--time` for time_limit), also its form label."""
    extra = ClusterOptions.model_fields[key].json_schema_extra
    flag = extra.get("flag") if isinstance(extra, dict) else None
    return str(flag) if flag else "--" + key.replace("_", "-")


def option_specs() -> list[FieldSpec]:
    """The options as form fields (group *Engine*, keys `cluster.<option>`), kinds from
    their types: the form renders them like every other field, the CLI makes its flags."""
    from satconf.kinds import ChoiceKind, for_annotation

    out: list[FieldSpec] = []
    for key, info in ClusterOptions.model_fields.items():
        kind = ChoiceKind(NAMES) if key == "engine" else for_annotation(info.annotation)
        out.append(FieldSpec(
            key=f"{OPTIONS_KEY}.{key}", flag=option_flag(key), attr=key, kind=kind,
            default=info.get_default(call_default_factory=True), help=info.description or "",
            group=ENGINE_GROUP, ini=None, extra=False,
        ))
    return out


def option_fields() -> list[dict[str, Any]]:
    """What a form needs to render each option: key, type, default, choices, help."""
    out: list[dict[str, Any]] = []
    schema = ClusterOptions.model_json_schema()["properties"]
    for spec in option_specs():
        key, prop = spec.attr, schema[spec.attr]
        out.append({
            "key": key, "type": _type_name(prop), "default": spec.default,
            "choices": list(spec.choices) or None, "help": spec.help,
            "minimum": prop.get("minimum",
                                next((p.get("minimum") for p in prop.get("anyOf", [])
                                      if "minimum" in p), None)),
        })
    return out


def _type_name(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "choice"
    types = [prop.get("type")] + [p.get("type") for p in prop.get("anyOf", [])]
    for name in ("integer", "array", "string"):
        if name in types:
            return {"integer": "int", "array": "lines", "string": "str"}[name]
    return "str"


def parse_options(data: dict[str, Any] | None) -> ClusterOptions:
    """The options from a profile's `options["cluster"]`; raises ClusterOptionsError."""
    try:
        return ClusterOptions.model_validate(dict(data or {}))
    except ValidationError as exc:
        raise ClusterOptionsError(_explain(exc)) from None


def from_profile_options(options: dict[str, Any] | None) -> ClusterOptions:
    table = (options or {}).get(OPTIONS_KEY)
    if table is not None and not isinstance(table, dict):
        raise ClusterOptionsError("options.cluster must be a table")
    if not table:
        return ClusterOptions.model_construct()  # every default is valid: nothing to check
    return parse_options(table)


def option_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """Problems with a form's (or profile's) cluster values, by option key; {} when fine."""
    try:
        ClusterOptions.model_validate(dict(data))
    except ValidationError as exc:
        out: dict[str, list[str]] = {}
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else OPTIONS_KEY
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "no such cluster option"
            out.setdefault(key, []).append(msg)
        return out
    return {}


def store_options(options: dict[str, Any] | None, opts: ClusterOptions) -> dict[str, Any]:
    """A profile's options with its cluster table replaced by `opts` (dropped if default)."""
    out = {k: v for k, v in (options or {}).items() if k != OPTIONS_KEY}
    table = opts.to_options()
    if table:
        out[OPTIONS_KEY] = table
    return out


def with_overrides(base: ClusterOptions, **changes: Any) -> ClusterOptions:
    """`base` with the non-None `changes` applied and checked; raises ClusterOptionsError."""
    data = base.model_dump()
    data.update({k: v for k, v in changes.items() if v is not None})
    return parse_options(data)


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "cluster"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "no such cluster option (known: " + ", ".join(ClusterOptions.model_fields) + ")"
        lines.append(f"cluster.{where}: {msg}")
    return "\n".join(lines)
