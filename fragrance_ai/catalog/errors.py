"""The catalog's one error."""


class CatalogError(ValueError):
    """A catalog row is invalid; the message names the row and the field."""
