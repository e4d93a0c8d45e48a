"""The long-running programs: the API, the workers, and `dev`, which runs them all."""
