"""How the services authenticate to Kafka and encrypt the connection, from
`kafka.security`: PLAINTEXT (the default, for the embedded broker and a private network),
SSL, SASL_PLAINTEXT or SASL_SSL with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.

The same settings give FastStream's broker its `security` object and every plain
aiokafka client (topic creation, the lag reader) its keyword arguments, so no client
connects otherwise than the others.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

# The names the settings accept are validated in config_loader (KAFKA_SASL_MECHANISMS).
MECHANISMS = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def _ssl_context(security: Any) -> ssl.SSLContext | None:
    if not str(security.protocol).endswith("SSL"):
        return None
    # The system's trusted roots, or the CA file that signed the brokers' certificates.
    return ssl.create_default_context(cafile=security.ca_file or None)


def broker_security(kafka: Any) -> BaseSecurity | None:
    """FastStream's security object for ``settings.kafka``; None for PLAINTEXT."""
    security = kafka.security
    if security.protocol == "PLAINTEXT":
        return None
    context = _ssl_context(security)
    if not str(security.protocol).startswith("SASL"):
        return BaseSecurity(ssl_context=context)
    # FastStream reads use_ssl from whether a context is given.
    return MECHANISMS[security.mechanism](
        username=security.username, password=security.password, ssl_context=context
    )


def client_options(kafka: Any) -> dict[str, Any]:
    """aiokafka's keyword arguments for the same connection as ``broker_security``."""
    security = kafka.security
    options: dict[str, Any] = {"security_protocol": security.protocol}
    if (context := _ssl_context(security)) is not None:
        options["ssl_context"] = context
    if str(security.protocol).startswith("SASL"):
        options |= {
            "sasl_mechanism": security.mechanism,
            "sasl_plain_username": security.username,
            "sasl_plain_password": security.password,
        }
    return options
