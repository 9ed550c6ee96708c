"""Running models over data: array adapters, the predict loop and the progress bar."""
