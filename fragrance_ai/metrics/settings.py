"""The `metrics` section of the settings, checked at start-up."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fragrance_ai.config_loader import SettingsError


class MetricsSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = Field(min_length=1, description="Address the worker metrics servers listen on")
    llm_port: int = Field(ge=0, le=65535, description="LLM worker's metrics port; 0: any free")
    rl_port: int = Field(ge=0, le=65535, description="RL worker's metrics port; 0: any free")
    refresh_s: float = Field(gt=0, description="Seconds between job-count and lag refreshes")

    def port_for(self, role: str) -> int:
        return self.rl_port if role in ("rl", "training") else self.llm_port


def metrics_settings(settings: Any) -> MetricsSettings:
    """`settings.metrics` validated; a bad or missing key raises SettingsError naming it."""
    try:
        return MetricsSettings.model_validate(dict(settings.get("metrics") or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "metrics." + ".".join(str(part) for part in first["loc"])
        env = "FRAGRANCE_" + key.upper().replace(".", "__")
        raise SettingsError(f"{key} (${env}): {first['msg']}") from None
