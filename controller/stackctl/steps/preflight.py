"""Preflight: every check that can fail before anything starts."""

from __future__ import annotations

from stackctl.cluster.pki import verify_pki
from stackctl.context import StackContext
from stackctl.doctor import check_engine
from stackctl.errors import ToolError
from stackctl.images.select import stack_images
from stackctl.runtime import load_wrapper
from stackctl.runtime.images import images_present, pull_image
from stackctl.steps.image_checks import check_tls_files, ensure_images, tyk_users
from stackctl.tyk.pro_checks import check_dashboard_image, check_pro
from stackctl.tyk.support import check_support


class Preflight:
    """The engine's own checks (`Engine.preflight`), then TLS files, support matrix, engine,
    images (pulled if missing), their users, PKI; bad input: one line, exit 2, nothing started."""

    name = "preflight"

    def run(self, ctx: StackContext) -> str:
        settings = ctx.model.settings
        refs = sorted(set(stack_images(settings).values()))
        verdict = ctx.engine.preflight(ctx, refs)  # first: what this engine cannot do
        check_tls_files(settings)
        check_support(settings)
        pro = check_pro(settings, ctx.state_dir) if settings.profile == "pro" else []
        load_wrapper()
        try:
            present = images_present(refs)  # also proves the Docker engine answers
        except ToolError:
            engine = check_engine()
            if engine.status == "fail":
                raise ToolError(f"{engine.detail}; {engine.fix}") from None
            raise
        if settings.profile == "pro" and (settings.images.offline or not settings.images.pull):
            pro.append(check_dashboard_image(settings, lambda ref: present.get(ref, False)))
        pulled = ensure_images(settings, present, pull_image)
        tyk_users(settings, stack_images(settings))
        if (ctx.model.tls and not ctx.cluster.unsupported("pki")
                and (ctx.model.certs_dir / "ca.crt").exists()):
            verify_pki(ctx.model)
        have = f"{len(refs)} images present" + (f" ({len(pulled)} pulled)" if pulled else "")
        return "; ".join([have, verdict, *pro[:1]])
