"""The PKI: what each certificate says, idempotence, re-issue rules, preflight errors."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from stackctl.cluster.pki import CLIENT_NAMES, ensure_pki, verify_pki
from stackctl.errors import ConfigError
from stackctl.model import StackModel, build_model
from stackctl.settings import Settings

pytestmark = pytest.mark.unit

SERVER = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
CLIENT = {ExtendedKeyUsageOID.CLIENT_AUTH}


def model_for(tmp: Path, **redis: object) -> StackModel:
    return build_model(Settings(certs_dir=tmp / "certs", state_dir=tmp / "state",
                                redis=redis))  # type: ignore[arg-type]


def cert(model: StackModel, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((model.certs_dir / f"{name}.crt").read_bytes())


def snapshot(model: StackModel) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(model.certs_dir.iterdir())}


@pytest.fixture
def model(tmp_path: Path) -> StackModel:
    m = model_for(tmp_path)
    ensure_pki(m)
    return m


def test_files_and_modes(model: StackModel) -> None:
    names = ["ca", *(f"redis-{i}" for i in range(1, 7)), *CLIENT_NAMES]
    for name in names:
        key = model.certs_dir / f"{name}.key"
        # the Tyk components' keys are read by their containers' group (the image's user
        # runs with the host user's group); every other key is the owner's alone
        want = 0o640 if name in ("gateway", "pump", "dashboard") else 0o600
        assert stat.S_IMODE(key.stat().st_mode) == want, name
        assert stat.S_IMODE((model.certs_dir / f"{name}.crt").stat().st_mode) == 0o644
    assert not [p for p in model.certs_dir.iterdir() if p.name.startswith(".")]


def test_node_certificate_sans_and_ekus(model: StackModel) -> None:
    c = cert(model, "redis-2")
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["redis-2"]
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.IPv4Address("172.31.250.12"), ipaddress.IPv4Address("127.0.0.1")}
    assert set(c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == SERVER


@pytest.mark.parametrize("name", CLIENT_NAMES)
def test_client_certificates_are_client_only(model: StackModel, name: str) -> None:
    ekus = cert(model, name).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(ekus) == CLIENT


def test_p256_key_ids_and_chain(model: StackModel) -> None:
    ca = cert(model, "ca")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    for name in ["redis-1", "gateway", "stackctl"]:
        c = cert(model, name)
        key = serialization.load_pem_private_key(
            (model.certs_dir / f"{name}.key").read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert isinstance(key.curve, ec.SECP256R1)
        assert c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == ca_ski.digest
        c.verify_directly_issued_by(ca)


def test_second_run_keeps_everything(model: StackModel) -> None:
    before = snapshot(model)
    result = ensure_pki(model)
    assert not result.changed
    assert {c.action for c in result.certs} == {"kept"}
    assert snapshot(model) == before


def test_san_change_reissues_node_certificates_only(model: StackModel, tmp_path: Path) -> None:
    moved = model_for(tmp_path, subnet="172.31.99.0/24")
    result = {c.name: c for c in ensure_pki(moved).certs}
    assert result["redis-1"].action == "reissued"
    assert "SANs changed" in result["redis-1"].reason
    assert result["gateway"].action == "kept" and result["ca"].action == "kept"
    verify_pki(moved)


def test_more_shards_add_node_certificates(model: StackModel, tmp_path: Path) -> None:
    bigger = model_for(tmp_path, shards=4)
    result = {c.name: c.action for c in ensure_pki(bigger).certs}
    assert result["redis-7"] == result["redis-8"] == "created"
    assert result["redis-1"] == "kept"


def test_expiring_leaves_are_reissued(tmp_path: Path) -> None:
    m = model_for(tmp_path)
    now = datetime.now(UTC)
    ensure_pki(m, now=now - timedelta(days=340))
    result = {c.name: c for c in ensure_pki(m, now=now).certs}
    assert result["ca"].action == "kept"
    assert result["redis-1"].action == "reissued"
    assert result["redis-1"].reason.startswith("expires in")
    verify_pki(m, now=now)


def test_force_rotates_everything(model: StackModel) -> None:
    before = snapshot(model)
    result = ensure_pki(model, force=True)
    assert {c.action for c in result.certs} == {"reissued"}
    after = snapshot(model)
    assert all(before[name] != after[name] for name in before)


def test_leaf_from_another_ca_is_reissued(model: StackModel, tmp_path: Path) -> None:
    other = model_for(tmp_path / "other")
    ensure_pki(other)
    for ext in ("crt", "key"):
        shutil.copy(other.certs_dir / f"redis-3.{ext}", model.certs_dir / f"redis-3.{ext}")
    result = {c.name: c for c in ensure_pki(model).certs}
    assert result["redis-3"].action == "reissued"
    assert result["redis-3"].reason == "not signed by ca.crt"


def test_corrupt_ca_is_an_error_not_a_silent_replacement(model: StackModel) -> None:
    (model.certs_dir / "ca.crt").write_text("garbage\n")
    with pytest.raises(ConfigError, match=r"ca\.crt: not a PEM certificate; .*--force"):
        ensure_pki(model)
    assert ensure_pki(model, force=True).changed


def test_loose_key_mode_is_reported_then_fixed(model: StackModel) -> None:
    key = model.certs_dir / "pump.key"
    key.chmod(0o644)  # world-readable: refused, even for a key mounted into Tyk
    with pytest.raises(ConfigError, match=r"pump\.key: private key readable by others; "
                                          r"chmod 640"):
        verify_pki(model)
    ensure_pki(model)
    assert stat.S_IMODE(key.stat().st_mode) == 0o640
    verify_pki(model)
    node = model.certs_dir / "redis-1.key"
    node.chmod(0o640)  # group-readable is only for the Tyk components' keys
    with pytest.raises(ConfigError, match=r"redis-1\.key: private key readable by others; "
                                          r"chmod 600"):
        verify_pki(model)
    ensure_pki(model)
    assert stat.S_IMODE(node.stat().st_mode) == 0o600


def test_verify_passes_on_fresh_pki(model: StackModel) -> None:
    verify_pki(model)


def test_verify_missing_pki(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ca\.crt: CA certificate missing; run `stackctl certs`"):
        verify_pki(model_for(tmp_path))


def test_verify_expired(model: StackModel) -> None:
    later = datetime.now(UTC) + timedelta(days=400)
    with pytest.raises(ConfigError) as err:
        verify_pki(model, now=later)
    lines = str(err.value).splitlines()
    assert len(lines) == 10  # every leaf, one line each; the CA is still valid
    assert all("expired on" in line for line in lines)


def test_verify_wrong_ca(model: StackModel, tmp_path: Path) -> None:
    other = model_for(tmp_path / "other")
    ensure_pki(other)
    for ext in ("crt", "key"):
        shutil.copy(other.certs_dir / f"ca.{ext}", model.certs_dir / f"ca.{ext}")
    with pytest.raises(ConfigError) as err:
        verify_pki(model)
    assert err.value.exit_code == 2
    first = str(err.value).splitlines()[0]
    assert first.endswith("redis-1.crt: not signed by ca.crt; run `stackctl certs`")


def test_verify_unparsable_and_unreadable(model: StackModel) -> None:
    (model.certs_dir / "redis-1.crt").write_text("not a certificate")
    (model.certs_dir / "gateway.key").unlink()
    (model.certs_dir / "gateway.key").mkdir()
    with pytest.raises(ConfigError) as err:
        verify_pki(model)
    text = str(err.value)
    assert "redis-1.crt: not a PEM certificate" in text
    assert "gateway.key: cannot be read" in text



def run_certs(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env["STACKCTL_CERTS_DIR"] = str(tmp / "certs")
    return subprocess.run([sys.executable, "-m", "stackctl", "certs", *args], cwd=tmp,
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def test_certs_command_json_and_idempotence(tmp_path: Path) -> None:
    first = run_certs(tmp_path, "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["changed"] is True
    assert {c["name"] for c in data["certs"]} >= {"ca", "redis-6", "stackctl"}
    again = json.loads(run_certs(tmp_path, "--json").stdout)
    assert again["changed"] is False


def test_certs_command_reports_one_line_on_a_corrupt_ca(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_text("junk")
    result = run_certs(tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("stackctl: error: ") and "ca.crt" in result.stderr
