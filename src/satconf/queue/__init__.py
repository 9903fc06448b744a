"""The run queue and sweeps: runs that wait for free GPUs (or CPU slots), started by a
small detached scheduler, and sweeps that expand one profile into many runs.

The queue is a layer over the launch use case, not an engine: every queued run
is prepared (checked) when it is queued and again just before it starts, then
started by `satconf.launch.start` on the local engine, so a queued run's record
is an ordinary run record with the queue's request and assignment added.

    store.QueueStore        SQLite (WAL) under SATCONF_HOME: entries, settings, sweeps
    request.GpuRequest      what a run asks for: a count, given GPUs, a CPU slot
    gpus_free.free_devices  which GPUs/slots no run holds and nothing else is using
    spec.RunSpec            the inputs of a queued run, rebuilt into a RunConfig to start
    scheduler               the daemon: claim, prepare, start; woken by run ends and a fifo
    sweep                   grid / zip / random expansion, local sweeps, show, resume
    slurm_array             a sweep as one SLURM job array
"""
