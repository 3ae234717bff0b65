"""The TLS check Go's crypto/tls makes for Tyk (chain to the configured CA *and* a SAN
naming the host dialled), spoken by the controller's own `ssl` over a byte relay in a
one-shot container on the user's network (runtime.oneshot.open_oneshot): redis-cli
verifies the chain only, never the name, so it cannot tell a SAN mismatch."""

from __future__ import annotations

import os
import select
import ssl
import subprocess
from collections.abc import Callable

from stackctl.names import ROLE_EXTERNAL_PROBE, role_labels
from stackctl.runtime.oneshot import open_oneshot

RELAY = ['exec 3<>"/dev/tcp/$RELAY_HOST/$RELAY_PORT" || exit 1; cat <&3 & cat >&3']
"""bash: one TCP connection to RELAY_HOST:RELAY_PORT, piped to the container's stdio."""
TIMEOUT_S = 5.0

Opener = Callable[[str, str], subprocess.Popen[bytes]]
"""(host, port) -> a process whose stdin/stdout are a byte stream to that address."""


def _pump(proc: subprocess.Popen[bytes], tls: ssl.SSLObject, inc: ssl.MemoryBIO,
          out: ssl.MemoryBIO) -> None:
    """Finish the handshake, moving bytes between the BIOs and the relay."""
    assert proc.stdin is not None and proc.stdout is not None
    fd = proc.stdout.fileno()
    while True:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        else:
            break
        finally:
            pending = out.read()
            if pending:
                proc.stdin.write(pending)
                proc.stdin.flush()
        ready, _, _ = select.select([fd], [], [], TIMEOUT_S)
        if not ready:
            raise TimeoutError("no answer in the TLS handshake")
        data = os.read(fd, 65536)
        if not data:
            raise ConnectionError("the relay closed the connection (address unreachable?)")
        inc.write(data)


def verify(addr: str, ca_file: str, open_relay: Opener, cert_file: str = "",
           key_file: str = "") -> str:
    """Why Tyk's TLS check would fail dialling `addr` with this CA and certificate; "" if not."""
    host, _, port = addr.rpartition(":")
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = True
    if cert_file and key_file:
        context.load_cert_chain(cert_file, key_file)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(inc, out, server_hostname=host)
    proc = open_relay(host, port)
    try:
        _pump(proc, tls, inc, out)
    except ssl.SSLCertVerificationError as exc:
        return str(exc.verify_message or exc)
    except (ssl.SSLError, OSError) as exc:
        return str(exc)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    return ""


def relay_opener(image: str, network: str) -> Opener:
    """An Opener running the relay in a one-shot container of `image` (it needs bash)."""
    def open_relay(host: str, port: str) -> subprocess.Popen[bytes]:
        return open_oneshot(image, ["-c", *RELAY], network,
                            {"RELAY_HOST": host, "RELAY_PORT": port}, entrypoint="bash",
                            labels=role_labels(ROLE_EXTERNAL_PROBE))

    return open_relay
