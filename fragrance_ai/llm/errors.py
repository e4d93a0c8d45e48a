"""Errors of the LLM ensemble: each names what was wrong and what to change.

Text that cannot be given to a model (empty, too long) or that the rules refuse is a
brief's fault, not the ensemble's: that is interpreter.errors' BriefError."""

from collections.abc import Sequence


class LLMError(Exception):
    """Base of every error raised by the LLM ensemble."""


class ModelNotFoundError(LLMError):
    """A configured model is not on this machine; nothing is ever downloaded."""

    def __init__(self, model: str, source: str, looked_in: Sequence[str]) -> None:
        self.model = model
        self.looked_in = tuple(looked_in)
        places = "\n".join(f"  - {place}" for place in self.looked_in)
        super().__init__(
            f"model {model!r} ({source}) was not found on this machine; looked in:\n{places}"
        )


class ModelsMissingError(LLMError):
    """Start-up found one or more enabled models missing."""

    def __init__(self, missing: Sequence[ModelNotFoundError]) -> None:
        self.missing = tuple(missing)
        super().__init__("\n".join(str(error) for error in self.missing))


class QuantizationUnavailableError(LLMError):
    """4-bit or 8-bit loading was asked for where bitsandbytes cannot run."""


class BackendNotInstalledError(LLMError):
    """The configured inference backend's package is not installed."""


class UnsupportedBackendOptionError(LLMError):
    """The configured backend cannot honour an option of the model's spec."""


class ModelUnavailableError(LLMError):
    """A served model's server refused or could not be reached, retries included."""
