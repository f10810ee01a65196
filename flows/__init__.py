"""fieldplan orchestration: Prefect flows and the `fieldplan` command line."""
