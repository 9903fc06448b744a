"""Placeholder: the demo trainer is being written (see the runs issue)."""
raise SystemExit("the demo trainer is not written yet")
