"""The stack's PKI: one CA, a server certificate per Redis node, a client certificate per
Redis client (Tyk components and stackctl). ECDSA P-256 (Tyk's store rejects Ed25519);
node certificates carry serverAuth and clientAuth (cluster bus, replication).
`ensure_pki` is idempotent (re-issues on changed SANs, a wrong key or CA, or fewer than
`RENEW_BEFORE` left); `verify_pki` is the read-only preflight check."""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stackctl.errors import ConfigError, ConfigErrors
from stackctl.model import COMPONENTS, CONFIG_ENDPOINT, StackModel
from stackctl.state import atomic_write

CA_NAME = "ca"
STACKCTL_CLIENT = "stackctl"
"""stackctl's own client identity (cluster-init, gate, healthchecks, probes)."""
CLIENT_NAMES = (*COMPONENTS, STACKCTL_CLIENT)
CA_DAYS = 3650
LEAF_DAYS = 365
RENEW_BEFORE = timedelta(days=30)
BACKDATE = timedelta(minutes=5)
KEY_MODE = 0o600
MOUNTED_KEY_MODE = 0o640
"""The Tyk components' client keys: mounted into containers that run as the image's own
user with the host user's group (`runtime.tyk_user`), so group-readable, never world."""
CERT_MODE = 0o644
CERTS_DIR_MODE = 0o750
"""Bind-mounted into the Tyk containers: searched by their group, closed to others."""
ORG = "stackctl"

_T = TypeVar("_T")
Kind = Literal["server", "client"]
Action = Literal["created", "kept", "reissued"]
_EKUS: dict[Kind, frozenset[x509.ObjectIdentifier]] = {
    "server": frozenset({ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}),
    "client": frozenset({ExtendedKeyUsageOID.CLIENT_AUTH}),
}


@dataclass(frozen=True)
class CertSpec:
    """What one leaf certificate must say."""

    name: str
    kind: Kind
    dns: tuple[str, ...]
    ips: tuple[ipaddress.IPv4Address, ...] = ()

    def sans(self) -> frozenset[str]:
        """SANs as comparable strings."""
        return frozenset([f"DNS:{d}" for d in self.dns] + [f"IP:{ip}" for ip in self.ips])


@dataclass(frozen=True)
class CertResult:
    """What `ensure_pki` did with one certificate."""

    name: str
    action: Action
    reason: str
    not_after: datetime
    path: Path

    def as_dict(self) -> dict[str, str]:
        """JSON view."""
        return {"name": self.name, "action": self.action, "reason": self.reason,
                "not_after": self.not_after.isoformat(), "path": str(self.path)}


@dataclass(frozen=True)
class PkiResult:
    """The outcome of `ensure_pki`."""

    certs_dir: Path
    certs: list[CertResult] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any file was written."""
        return any(c.action != "kept" for c in self.certs)

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return {"certs_dir": str(self.certs_dir), "changed": self.changed,
                "certs": [c.as_dict() for c in self.certs]}


def cert_specs(model: StackModel) -> list[CertSpec]:
    """Every leaf certificate the stack needs: Redis nodes first, then clients."""
    if model.hostname_endpoints:
        # DNS SANs only, as a managed service issues them: the node's name and the
        # configuration endpoint's, the names clients dial (Go sets ServerName from them).
        specs = [CertSpec(n.name, "server", (n.name, CONFIG_ENDPOINT)) for n in model.nodes]
    else:
        loopback = ipaddress.IPv4Address("127.0.0.1")
        specs = [CertSpec(n.name, "server", (n.name,), (n.ip, loopback)) for n in model.nodes]
    specs += [CertSpec(name, "client", (name,)) for name in CLIENT_NAMES]
    return specs


def cert_path(certs_dir: Path, name: str) -> Path:
    """`<certs_dir>/<name>.crt`."""
    return certs_dir / f"{name}.crt"


def key_path(certs_dir: Path, name: str) -> Path:
    """`<certs_dir>/<name>.key`."""
    return certs_dir / f"{name}.key"


# --- reading and checking -------------------------------------------------------------


class _Unparsable(Exception):
    """A file exists but is not what it should be."""


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})",
                          "check its owner and permissions") from None


def _load_cert(path: Path) -> x509.Certificate | None:
    raw = _read(path)
    if raw is None:
        return None
    try:
        return x509.load_pem_x509_certificate(raw)
    except ValueError:
        raise _Unparsable("not a PEM certificate") from None


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    raw = _read(path)
    if raw is None:
        return None
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise _Unparsable("not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise _Unparsable("not an ECDSA P-256 key")
    return key


def _sans(cert: x509.Certificate) -> frozenset[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    dns = [f"DNS:{d}" for d in ext.get_values_for_type(x509.DNSName)]
    ips = [f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)]
    return frozenset(dns + ips)


def _ekus(cert: x509.Certificate) -> frozenset[x509.ObjectIdentifier]:
    try:
        return frozenset(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return frozenset()


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def _validity_problem(cert: x509.Certificate, now: datetime, margin: timedelta) -> str | None:
    if cert.not_valid_before_utc > now + BACKDATE:
        return f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    left = cert.not_valid_after_utc - now
    if left <= timedelta(0):
        return f"expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    if left < margin:
        return f"expires in {left.days} days"
    return None


def _leaf_problem(spec: CertSpec, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                  ca: x509.Certificate, now: datetime, margin: timedelta) -> str | None:
    """Why this leaf cannot be used as is, or None."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return f"not signed by {CA_NAME}.crt"
    if not _same_key(cert, key):
        return "certificate and key do not match"
    if _sans(cert) != spec.sans():
        return f"SANs changed (want {', '.join(sorted(spec.sans()))})"
    if _ekus(cert) != _EKUS[spec.kind]:
        return f"wrong extended key usage for a {spec.kind} certificate"
    return _validity_problem(cert, now, margin)


def key_mode(name: str) -> int:
    """The mode of `name`'s private key: 0640 for a Tyk component's (read by group), else 0600."""
    return MOUNTED_KEY_MODE if name in COMPONENTS else KEY_MODE


def _loose_mode(path: Path) -> bool:
    """More open than `key_mode` allows for the key's identity (the file's stem)."""
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & ~key_mode(path.stem) & 0o777)
    except FileNotFoundError:
        return False


# --- issuing ---------------------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    atomic_write(path, pem, key_mode(path.stem))


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    atomic_write(path, cert.public_bytes(serialization.Encoding.PEM), CERT_MODE)


def _issue_ca(certs_dir: Path, project: str, now: datetime
              ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"stackctl CA ({project})")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path(certs_dir, CA_NAME), key)
    _write_cert(cert_path(certs_dir, CA_NAME), cert)
    return cert, key


def _issue_leaf(certs_dir: Path, spec: CertSpec, ca: x509.Certificate,
                ca_key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns]
    sans += [x509.IPAddress(ip) for ip in spec.ips]
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(spec.name)).issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + timedelta(days=LEAF_DAYS), ca.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            sorted(_EKUS[spec.kind], key=lambda oid: oid.dotted_string)), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(key_path(certs_dir, spec.name), key)
    _write_cert(cert_path(certs_dir, spec.name), cert)
    return cert


# --- public ------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _load_ca_file(path: Path, load: Callable[[Path], _T]) -> _T:
    try:
        return load(path)
    except _Unparsable as exc:
        raise ConfigError(str(path), str(exc),
                          "fix it, or run `stackctl certs --force` to replace the CA") from None


def _ensure_ca(certs_dir: Path, project: str, force: bool, now: datetime
               ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, CertResult]:
    crt, key_file = cert_path(certs_dir, CA_NAME), key_path(certs_dir, CA_NAME)
    reason = "--force" if force else ""
    if not force:
        cert, key = _load_ca_file(crt, _load_cert), _load_ca_file(key_file, _load_key)
        if cert is None and key is None:
            reason = "new"
        elif cert is None or key is None:
            reason = f"{(crt if cert is None else key_file).name} missing"
        elif not _same_key(cert, key):
            reason = "certificate and key do not match"
        else:
            reason = _validity_problem(cert, now, RENEW_BEFORE) or ""
            if not reason:
                if _loose_mode(key_file):
                    os.chmod(key_file, KEY_MODE)
                return cert, key, CertResult(CA_NAME, "kept", "", cert.not_valid_after_utc, crt)
    cert, key = _issue_ca(certs_dir, project, now)
    action: Action = "created" if reason == "new" else "reissued"
    return cert, key, CertResult(CA_NAME, action, reason, cert.not_valid_after_utc, crt)


def ensure_pki(model: StackModel, force: bool = False, now: datetime | None = None) -> PkiResult:
    """Create or refresh the PKI in `model.certs_dir` (`force`: re-issue everything);
    ConfigError when a file cannot be read or the CA files are not PEM."""
    now = _now(now)
    certs_dir = model.certs_dir
    certs_dir.mkdir(parents=True, exist_ok=True)
    certs_dir.chmod(CERTS_DIR_MODE)
    ca, ca_key, ca_result = _ensure_ca(certs_dir, model.settings.project, force, now)
    results = [ca_result]
    for spec in cert_specs(model):
        crt, key_file = cert_path(certs_dir, spec.name), key_path(certs_dir, spec.name)
        reason = "--force" if force else ("new CA" if ca_result.action != "kept" else "")
        if not crt.exists() and not key_file.exists():
            reason = "new"
        if not reason:
            try:
                cert, key = _load_cert(crt), _load_key(key_file)
            except _Unparsable as exc:
                cert, key, reason = None, None, str(exc)
            if cert is None or key is None:
                reason = reason or ("new" if cert is None and key is None else "half missing")
            else:
                reason = _leaf_problem(spec, cert, key, ca, now, RENEW_BEFORE) or ""
            if not reason:
                if _loose_mode(key_file) or spec.name in COMPONENTS:
                    os.chmod(key_file, key_mode(spec.name))
                assert cert is not None
                results.append(CertResult(spec.name, "kept", "", cert.not_valid_after_utc, crt))
                continue
        issued = _issue_leaf(certs_dir, spec, ca, ca_key, now)
        action: Action = "created" if reason == "new" else "reissued"
        results.append(CertResult(spec.name, action, reason, issued.not_valid_after_utc, crt))
    return PkiResult(certs_dir, results)


def verify_pki(model: StackModel, now: datetime | None = None) -> None:
    """Preflight: every certificate exists, parses, matches its key, SANs and CA, and is in date;
    keys 0600 (a Tyk component's 0640); ConfigErrors name every bad file at once."""
    now = _now(now)
    certs_dir = model.certs_dir
    fix = "run `stackctl certs`"
    errors: list[ConfigError] = []
    ca_file = cert_path(certs_dir, CA_NAME)
    ca: x509.Certificate | None = None
    try:
        ca = _load_cert(ca_file)
    except _Unparsable as exc:
        errors.append(ConfigError(str(ca_file), str(exc),
                                  "fix it, or run `stackctl certs --force`"))
    else:
        if ca is None:
            errors.append(ConfigError(str(ca_file), "CA certificate missing", fix))
        elif (problem := _validity_problem(ca, now, timedelta(0))) is not None:
            errors.append(ConfigError(str(ca_file), problem, "run `stackctl certs --force`"))
            ca = None
    if ca is None:
        raise ConfigErrors(errors)
    for spec in [CertSpec(CA_NAME, "client", ()), *cert_specs(model)]:
        if _loose_mode(key_path(certs_dir, spec.name)):
            errors.append(ConfigError(str(key_path(certs_dir, spec.name)),
                                      "private key readable by others",
                                      f"chmod {key_mode(spec.name):o} it"))
        if spec.name == CA_NAME:
            continue
        where = cert_path(certs_dir, spec.name)
        try:
            cert = _load_cert(where)
            where = key_path(certs_dir, spec.name)
            key = _load_key(where)
            where = cert_path(certs_dir, spec.name)
        except _Unparsable as exc:
            errors.append(ConfigError(str(where), str(exc), fix))
            continue
        except ConfigError as exc:
            errors.append(exc)
            continue
        if cert is None or key is None:
            errors.append(ConfigError(str(where), "certificate or key missing", fix))
            continue
        problem = _leaf_problem(spec, cert, key, ca, now, timedelta(0))
        if problem:
            errors.append(ConfigError(str(where), problem, fix))
    if errors:
        raise ConfigErrors(errors)
