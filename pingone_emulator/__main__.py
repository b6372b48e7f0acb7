"""Command line: python -m pingone_emulator --port 8900 [--data-dir DIR] [--config FILE]."""

import argparse
import json
import os
import sys

from werkzeug.serving import make_server

from .app import create_app
from .config import ConfigurationError, default_configuration, load_configuration
from .store import write_atomically


def _configuration(args):
    """--config wins; otherwise what the data dir holds; otherwise the default."""
    saved = os.path.join(args.data_dir, "config.json") if args.data_dir else None
    if args.config:
        config = load_configuration(args.config)
    elif saved and os.path.exists(saved):
        config = load_configuration(saved)
    else:
        config = default_configuration()
    if saved:
        write_atomically(saved, json.dumps(config.as_dict(), indent=2).encode())
    return config


def _banner(config, base_url):
    lines = ["PingOne emulator configuration", "", "Environments:"]
    for env in config.environments:
        lines.append(f"  {env['name']:<16} {env['id']}")
        lines.append(f"    issuer     {base_url}/{env['id']}/as")
    lines += ["", "Applications:"]
    for app in config.applications:
        lines.append(f"  {app.name} ({app.type}) in {app.environment_id}")
        lines.append(f"    client_id      {app.client_id}")
        lines.append(f"    client_secret  {app.client_secret}")
        for uri in app.redirect_uris:
            lines.append(f"    redirect_uri   {uri}")
        for uri in app.post_logout_redirect_uris:
            lines.append(f"    post_logout    {uri}")
    lines += ["", "Users:"]
    for user in config.users:
        groups = ", ".join(user.groups) or "(no group)"
        lines.append(f"  {user.username:<24} password {user.password!r:<12} groups {groups}")
    web = next((a for a in config.applications if a.type == "oidc_web"), None)
    lines += ["", "URLs:"]
    if web:
        issuer = f"{base_url}/{web.environment_id}/as"
        lines.append(f"  issuer          {issuer}")
        lines.append(f"  discovery       {issuer}/.well-known/openid-configuration")
    lines.append(f"  auth base URL   {base_url}")
    lines.append(f"  API base URL    {base_url}/v1")
    lines.append(f"  test controls   {base_url}/__emulator__/config")
    lines.append(f"  settings        {json.dumps(config.settings)}")
    return "\n".join(lines)


def main(argv=None):
    """Parse arguments, print the configuration and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m pingone_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", help="persist keys, images and tokens here")
    parser.add_argument("--config", help="JSON configuration replacing the default one")
    parser.add_argument("--public-url", help="base URL in issuers and hrefs (default http://127.0.0.1:PORT)")
    args = parser.parse_args(argv)
    try:
        config = _configuration(args)
    except (ConfigurationError, OSError, json.JSONDecodeError) as exc:
        parser.exit(2, f"pingone_emulator: {exc}\n")
    base_url = (args.public_url or f"http://127.0.0.1:{args.port}").rstrip("/")
    app = create_app(config, base_url, data_dir=args.data_dir)
    server = make_server(args.host, args.port, app, threaded=True)
    print(_banner(config, base_url))
    print(f"\nPingOne emulator listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
