"""Certificates: the PKI for TLS modes (kept when valid)."""

from __future__ import annotations

from stackctl.cluster.pki import ensure_pki, verify_pki
from stackctl.context import StackContext
from stackctl.pipeline import Outcome, skipped


class Certificates:
    """Ensure the CA, node and client certificates (TLS modes only)."""

    name = "certificates"

    def run(self, ctx: StackContext) -> str | Outcome:
        if why := ctx.cluster.unsupported("pki"):
            return skipped(why)
        if not ctx.model.tls:
            return skipped("not needed (tls off)")

        result = ensure_pki(ctx.model)
        verify_pki(ctx.model)
        issued = [c for c in result.certs if c.action != "kept"]
        return f"{len(issued)} issued, {len(result.certs) - len(issued)} kept"
