"""Use cases. Each service function owns its transaction (``engine.begin()``)."""
