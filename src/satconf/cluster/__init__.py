"""Runs beyond one machine: SLURM batch jobs and torchrun, from the same config.

- `options`: `ClusterOptions` (a profile's `options["cluster"]`), `option_fields()` for forms
- `plan`: `build_cluster_plan(config, opts)` -> the batch script / per-node commands
- `checks`: `cluster_findings(config, opts)` -> `satconf.checks.finding.Finding`s
- `slurm`, `torchrun`: script and command generation, sbatch/squeue/sacct/scancel
- `engine`: `submit_run`, `start_torchrun`; registers the "slurm" run engine on import
- `cli`: the `satconf launch` options (`--engine` ...)

Import the submodules directly; this package imports nothing at start-up.
"""
