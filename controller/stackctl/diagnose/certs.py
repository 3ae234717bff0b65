"""Certificate checks on the stack's PKI files (no traffic): the component's CA signs the
nodes' certificates, their SANs name the hosts dialled, its client certificate is trusted."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from stackctl.diagnose.config import ClientConfig
from stackctl.model import StackModel


def load_cert(path: Path | None) -> x509.Certificate | None:
    """A PEM certificate, or None when absent or unreadable."""
    if path is None:
        return None
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """`cert` was issued by `ca`."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def san_names(cert: x509.Certificate) -> set[str]:
    """DNS names and IP addresses in the SAN extension, as text."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(ext.get_values_for_type(x509.DNSName)) | {
        str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}


def node_cert(model: StackModel, host: str, ip: str) -> tuple[str, x509.Certificate] | None:
    """The stack's certificate of the node at `host` (a name or an address)."""
    for node in model.nodes:
        if host in (node.name, str(node.ip)) or ip == str(node.ip):
            cert = load_cert(model.certs_dir / f"{node.name}.crt")
            return (node.name, cert) if cert is not None else None
    return None


def ca_signs_nodes(client: ClientConfig, model: StackModel) -> str | None:
    """Evidence when the component's CA did not sign the nodes' certificates, else None."""
    ca = load_cert(client.host_path(client.ca_file)) if client.ca_file else None
    if ca is None:
        return None
    node = load_cert(model.certs_dir / f"{model.nodes[0].name}.crt")
    if node is None or signed_by(node, ca):
        return None
    return (f"{client.ca_file} ({ca.subject.rfc4514_string()}) did not issue "
            f"{model.nodes[0].name}.crt ({node.issuer.rfc4514_string()})")


def client_cert_trusted(client: ClientConfig, model: StackModel) -> str | None:
    """Evidence when the component's client certificate is not from the stack CA."""
    cert = load_cert(client.host_path(client.cert_file)) if client.cert_file else None
    ca = load_cert(model.certs_dir / "ca.crt")
    if cert is None or ca is None or signed_by(cert, ca):
        return None
    return f"{client.cert_file} was not issued by the stack CA that Redis trusts"


def san_mismatch(model: StackModel, host: str, ip: str) -> str | None:
    """Evidence when the node certificate at `host` does not name `host`."""
    found = node_cert(model, host, ip)
    if found is None:
        return None
    name, cert = found
    sans = san_names(cert)
    return None if host in sans else f"{name}.crt names {', '.join(sorted(sans))}, not {host}"
