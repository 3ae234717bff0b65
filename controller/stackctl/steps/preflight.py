"""Preflight: every check that can fail before anything starts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from stackctl.context import StackContext
from stackctl.errors import ConfigError, ToolError


class Preflight:
    """TLS files, support matrix, engine, images present (pulled when missing) and their
    users, ports free, PKI sound."""

    name = "preflight"

    def run(self, ctx: StackContext) -> str:
        from stackctl.cluster.pki import verify_pki
        from stackctl.doctor import check_compose, check_engine, check_ports
        from stackctl.images.select import stack_images
        from stackctl.runtime import load_wrapper
        from stackctl.runtime.images import images_present, pull_image
        from stackctl.steps.image_checks import check_tls_files, ensure_images, tyk_users
        from stackctl.tyk.support import check_support

        settings = ctx.model.settings
        check_tls_files(settings)
        check_support(settings)
        pro: list[str] = []
        if settings.profile == "pro":
            from stackctl.tyk.pro_checks import check_pro

            pro = check_pro(settings, ctx.state_dir)
        refs = list(stack_images(settings).values())
        load_wrapper()
        # The docker calls are independent: run them at once (a warm `up` waits on them).
        # One image inspect also proves the engine answers; only when it does not is the
        # engine check run, for its message.
        with ThreadPoolExecutor(max_workers=3) as pool:
            compose = pool.submit(check_compose)
            held = pool.submit(_ports_held_by_project, ctx)
            images = pool.submit(images_present, refs)
            try:
                present = images.result()
            except ToolError:
                engine = check_engine()
                if engine.status == "fail":
                    raise ToolError(f"{engine.detail}; {engine.fix}") from None
                raise
        if (check := compose.result()).status == "fail":
            raise ToolError(f"{check.detail}; {check.fix}")
        if settings.profile == "pro" and (settings.images.offline or not settings.images.pull):
            from stackctl.tyk.pro_checks import check_dashboard_image

            pro.append(check_dashboard_image(settings, lambda ref: present.get(ref, False)))
        pulled = ensure_images(settings, present, pull_image)
        tyk_users(settings, stack_images(settings))
        ours = held.result()
        for check in check_ports(settings, ours):
            if check.status == "fail":
                raise ConfigError(check.name.replace("port-", "") + ".port", check.detail,
                                  check.fix)
        if (ctx.model.tls and not ctx.cluster.unsupported("pki")
                and (ctx.model.certs_dir / "ca.crt").exists()):
            verify_pki(ctx.model)
        have = f"{len(refs)} images present" + (f" ({len(pulled)} pulled)" if pulled else "")
        return "; ".join([have, *pro[:1]])


def _ports_held_by_project(ctx: StackContext) -> set[int]:
    """Published ports already held by this project's running services (a re-up)."""
    if not ctx.compose_file.exists():
        return set()
    try:
        running = {s.service for s in ctx.services() if s.state == "running"}
    except ToolError:
        return set()
    ports = ctx.model.settings.published_ports()
    return {port for service, port in ports.items() if service in running}
