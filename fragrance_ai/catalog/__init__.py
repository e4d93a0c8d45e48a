"""The ingredient catalog, shipped as package data."""

from fragrance_ai.catalog.descriptors import DESCRIPTOR_FAMILY
from fragrance_ai.catalog.errors import CatalogError
from fragrance_ai.catalog.loader import Catalog, load_catalog

__all__ = ["DESCRIPTOR_FAMILY", "Catalog", "CatalogError", "load_catalog"]
