"""The web server, as the Procfile, the benchmarks and the browser tests all run it.

uvicorn serves the ASGI application. It believes a client's ``X-Forwarded-For`` and
``X-Forwarded-Proto`` only from the proxies named in ``SMARTTRADING_TRUSTED_PROXIES``
(comma-separated addresses; none by default): its own default trusts 127.0.0.1, so any local
client could claim any address and walk past the login lockout. Idle keep-alive connections
stay open 65 s, past clients' and proxies' usual idle timeouts (uvicorn's 5 s default reset
a connection a client was just reusing: 1 request in 2,335 in ``bench load``).
"""

from __future__ import annotations

import argparse
import os

import uvicorn

ASGI_APPLICATION = "smarttrading.asgi:application"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMARTTRADING_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SMARTTRADING_WEB_WORKERS", "2")))
    options = parser.parse_args(argv)
    trusted = os.environ.get("SMARTTRADING_TRUSTED_PROXIES", "").strip()
    uvicorn.run(
        ASGI_APPLICATION,
        host=options.host,
        port=options.port,
        workers=options.workers,
        lifespan="off",
        timeout_keep_alive=65,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


if __name__ == "__main__":
    main()
