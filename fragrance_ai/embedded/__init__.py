"""Real parts started on demand for development and tests: the broker and PostgreSQL."""
