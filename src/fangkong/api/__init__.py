"""HTTP API adapter (FastAPI). Build the app with :func:`fangkong.api.app.create_app`."""
