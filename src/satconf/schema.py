"""The seed's typed model of stable-audio-tools' training settings.

This module is pure data: enums, the pydantic model and the field groups.
Everything else (the form, the CLI, the argv builder, the JSON Schema) reads
the fields from here through `satconf.fields`, never from a second list.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from satconf.pydantic_plugins import skip_plugin_discovery

skip_plugin_discovery()  # before this module builds a model: see satconf.pydantic_plugins


class LoggerType(str, Enum):
    WANDB = "wandb"
    COMET = "comet"
    NONE = "none"


class StrategyType(str, Enum):
    """Every strategy name Lightning 2.x registers, plus "auto"."""

    AUTO = "auto"
    DDP = "ddp"
    DDP_FIND_UNUSED = "ddp_find_unused_parameters_true"
    DEEPSPEED = "deepspeed"
    DDP_FIND_UNUSED_FALSE = "ddp_find_unused_parameters_false"
    DDP_FORK = "ddp_fork"
    DDP_FORK_FIND_UNUSED_FALSE = "ddp_fork_find_unused_parameters_false"
    DDP_FORK_FIND_UNUSED_TRUE = "ddp_fork_find_unused_parameters_true"
    DDP_NOTEBOOK = "ddp_notebook"
    DDP_NOTEBOOK_FIND_UNUSED_FALSE = "ddp_notebook_find_unused_parameters_false"
    DDP_NOTEBOOK_FIND_UNUSED_TRUE = "ddp_notebook_find_unused_parameters_true"
    DDP_SPAWN = "ddp_spawn"
    DDP_SPAWN_FIND_UNUSED_FALSE = "ddp_spawn_find_unused_parameters_false"
    DDP_SPAWN_FIND_UNUSED_TRUE = "ddp_spawn_find_unused_parameters_true"
    DEEPSPEED_STAGE_1 = "deepspeed_stage_1"
    DEEPSPEED_STAGE_2 = "deepspeed_stage_2"
    DEEPSPEED_STAGE_2_OFFLOAD = "deepspeed_stage_2_offload"
    DEEPSPEED_STAGE_3 = "deepspeed_stage_3"
    DEEPSPEED_STAGE_3_OFFLOAD = "deepspeed_stage_3_offload"
    DEEPSPEED_STAGE_3_OFFLOAD_NVME = "deepspeed_stage_3_offload_nvme"
    FSDP = "fsdp"
    FSDP_CPU_OFFLOAD = "fsdp_cpu_offload"
    SINGLE_DEVICE = "single_device"
    SINGLE_TPU = "single_tpu"
    SINGLE_XLA = "single_xla"
    XLA = "xla"
    XLA_DEBUG = "xla_debug"


class PrecisionType(str, Enum):
    """Lightning's precision strings and their short aliases."""

    FLOAT32 = "32"
    FLOAT16 = "16"
    BFLOAT16 = "bf16"
    MIXED_16 = "16-mixed"
    MIXED_BF16 = "bf16-mixed"
    FLOAT64 = "64"
    TRUE_16 = "16-true"
    TRUE_BF16 = "bf16-true"
    TRUE_32 = "32-true"
    TRUE_64 = "64-true"
    TRANSFORMER_ENGINE = "transformer-engine"
    TRANSFORMER_ENGINE_FLOAT16 = "transformer-engine-float16"


class WeightNormRemoval(str, Enum):
    NONE = ""
    PRE_LOAD = "pre_load"
    POST_LOAD = "post_load"


# The seed's groups, in the order the form shows them.
RUN = "Run identification"
TRAINING = "Training"
CHECKPOINTS = "Checkpointing and recovery"
CONFIG_FILES = "Configuration files"
DISTRIBUTED = "Distributed training"
VALIDATION = "Validation"
LOGGING = "Logging"
SPECIAL = "Special options"
EXTRA = "Other keys in defaults.ini"
GROUPS: tuple[str, ...] = (
    RUN, TRAINING, CHECKPOINTS, CONFIG_FILES, DISTRIBUTED, VALIDATION, LOGGING, SPECIAL, EXTRA,
)


def _f(default: Any, description: str, group: str, **kw: Any) -> Any:
    extra = {"group": group}
    widget = kw.pop("widget", None)
    if widget:
        extra["widget"] = widget
    extra.update(kw.pop("schema", {}))  # JSON Schema words a validator enforces (see val_every)
    return Field(default, description=description, json_schema_extra=extra, **kw)


class DefaultsConfig(BaseModel):
    """Configuration matching defaults.ini structure."""

    # `model_config` is a training key *and* pydantic's reserved name, so every
    # field is addressed by its INI key through an alias.
    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        protected_namespaces=(),
        use_enum_values=True,
        # Built on first use: a workspace with extra INI keys validates through a
        # subclass, and building this base too would double the start-up cost.
        defer_build=True,
    )

    # Run identification
    name: str = _f("stable_audio_tools", "Name of the training run", RUN)
    project: str | None = _f(None, "Name of the project", RUN)

    # Training parameters
    batch_size: int = _f(4, "Batch size for training", TRAINING, ge=1)
    num_workers: int = _f(6, "Number of CPU workers for DataLoader", TRAINING, ge=0)
    seed: int = _f(42, "Random seed for reproducibility", TRAINING, ge=0)
    accum_batches: int = _f(1, "Batches for gradient accumulation", TRAINING, ge=1)
    gradient_clip_val: float = _f(0.0, "Gradient clipping value", TRAINING, ge=0.0)

    # Checkpointing & recovery
    recover: bool = _f(False, "Attempt to resume training from latest checkpoint", CHECKPOINTS)
    save_top_k: int = _f(-1, "Save top K model checkpoints", CHECKPOINTS, ge=-1)
    checkpoint_every: int = _f(10000, "Number of steps between checkpoints", CHECKPOINTS, ge=1)
    save_dir: str = _f("", "Directory to save checkpoints", CHECKPOINTS, widget="dir")
    ckpt_path: str = _f(
        "", "Trainer checkpoint file to restart training from", CHECKPOINTS, widget="file"
    )
    pretrained_ckpt_path: str = _f(
        "", "Model checkpoint file to start new training from", CHECKPOINTS, widget="file"
    )
    pretransform_ckpt_path: str = _f(
        "", "Checkpoint path for pretransform model", CHECKPOINTS, widget="file"
    )

    # Configuration files
    model_config_path: str = _f(
        "", "Path to model configuration JSON file", CONFIG_FILES,
        alias="model_config", widget="file",
    )
    dataset_config: str = _f(
        "", "Path to dataset configuration JSON file", CONFIG_FILES, widget="file"
    )
    val_dataset_config: str = _f(
        "", "Path to validation dataset configuration JSON file", CONFIG_FILES, widget="file"
    )

    # Distributed training
    num_nodes: int = _f(1, "Number of nodes for distributed training", DISTRIBUTED, ge=1)
    strategy: StrategyType = _f(StrategyType.AUTO, "Multi-GPU strategy", DISTRIBUTED)
    precision: PrecisionType = _f(PrecisionType.MIXED_16, "Precision for training", DISTRIBUTED)

    # Validation
    val_every: int = _f(-1, "Number of steps between validation runs", VALIDATION, ge=-1,
                        schema={"not": {"const": 0}})  # -1 means none; 0 is refused below

    # Logging
    logger: LoggerType = _f(LoggerType.WANDB, "Logger type to use", LOGGING)

    # Special options
    remove_pretransform_weight_norm: WeightNormRemoval = _f(
        WeightNormRemoval.NONE, "Remove weight norm from pretransform", SPECIAL
    )

    @field_validator("val_every")
    @classmethod
    def validate_val_every(cls, v: int) -> int:
        if v == 0:
            raise ValueError("val_every cannot be 0 (use -1 for no validation)")
        return v

    @field_validator("strategy", "precision", "remove_pretransform_weight_norm", mode="before")
    @classmethod
    def numbers_as_choice_text(cls, v: Any) -> Any:
        # prefigure types `precision = 32` as an int; the choice is still "32".
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
        return v

    @field_validator("logger", mode="before")
    @classmethod
    def none_logger(cls, v: Any) -> Any:
        # `logger = None` in an INI means no logger, which the enum spells "none".
        return "none" if v is None else v
