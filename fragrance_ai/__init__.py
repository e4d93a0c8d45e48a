"""Fragrance AI: perfume formulation from a brief in plain words."""
