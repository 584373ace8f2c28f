"""HTTP adapter: thin endpoints that parse, call a service, and render."""
