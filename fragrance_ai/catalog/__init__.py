"""The ingredient catalog, shipped as package data."""

from fragrance_ai.catalog.loader import DESCRIPTOR_FAMILY, Catalog, CatalogError, load_catalog

__all__ = ["DESCRIPTOR_FAMILY", "Catalog", "CatalogError", "load_catalog"]
