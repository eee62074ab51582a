"""Server-rendered pages (Jinja2) and vendored static assets (no CDN)."""
