"""Runs beyond one machine: SLURM batch jobs and torchrun, from the same config.

- `options`: `ClusterOptions` (a profile's `options["cluster"]`), `option_specs()`: the
  options as fields, for the form and the CLI's engine flags
- `plan`: `EnginePlan`, the batch script / per-node commands for a config
- `checks`: `cluster_findings(config, opts)` -> `satconf.checks.finding.Finding`s
- `slurm`, `torchrun`: script and command generation, sbatch/squeue/sacct/scancel

The engines that start and follow such runs are `satconf.runs.engines`.

Import the submodules directly; this package imports nothing at start-up.
"""
