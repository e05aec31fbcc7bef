"""What the observations mean: one state row per monitored integration (sources), the pure
decisions about its state (state), the pipeline that stores observations and settles state,
flips and alerts (pipeline), lateness as time passes, and what catalog reads (readers)."""
