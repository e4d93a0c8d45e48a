"""Kafka's SASL and TLS settings: one source for FastStream's broker and the plain
aiokafka clients, validated at start-up."""

import ssl

import pytest
from faststream.security import SASLScram512

from brokers.factory import make_broker
from brokers.security import broker_security, client_options
from fragrance_ai.config_loader import SettingsError, load_settings

SECURITY = "FRAGRANCE_KAFKA__SECURITY__"


def test_the_embedded_default_is_plaintext() -> None:
    kafka = load_settings("testing").kafka
    assert broker_security(kafka) is None
    assert client_options(kafka) == {"security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_gives_the_broker_and_the_clients_the_same_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{SECURITY}PROTOCOL", "SASL_SSL")
    monkeypatch.setenv(f"{SECURITY}USERNAME", "fragrance")
    monkeypatch.setenv(f"{SECURITY}PASSWORD", "s3cret")
    kafka = load_settings("testing").kafka
    security = broker_security(kafka)
    assert isinstance(security, SASLScram512)
    assert (security.username, security.password, security.use_ssl) == ("fragrance", "s3cret", True)
    options = client_options(kafka)
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "fragrance",
        "sasl_plain_password": "s3cret",
    }
    make_broker(load_settings("testing"), bootstrap_servers="kafka:9093")  # builds, connects not


def test_tls_alone_checks_the_brokers_against_the_given_ca(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{SECURITY}PROTOCOL", "SSL")
    monkeypatch.setenv(f"{SECURITY}CA_FILE", ssl.get_default_verify_paths().cafile or "")
    options = client_options(load_settings("testing").kafka)
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].verify_mode is ssl.CERT_REQUIRED
    assert "sasl_mechanism" not in options


def test_sasl_without_credentials_fails_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{SECURITY}PROTOCOL", "SASL_PLAINTEXT")
    with pytest.raises(SettingsError, match=r"kafka\.security\.username"):
        load_settings("testing")


def test_an_unknown_mechanism_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{SECURITY}MECHANISM", "GSSAPI")
    with pytest.raises(SettingsError, match=r"kafka\.security\.mechanism"):
        load_settings("testing")
