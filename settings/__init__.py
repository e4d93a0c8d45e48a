"""Settings files (TOML) shipped as package data; ``fragrance_ai.config_loader`` reads them."""

from pathlib import Path

SETTINGS_DIR = Path(__file__).resolve().parent
