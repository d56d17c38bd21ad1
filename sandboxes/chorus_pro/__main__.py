"""Run the Chorus Pro sandbox in the foreground: ``python -m sandboxes.chorus_pro --port 8099``."""
import argparse
import threading

from . import ChorusProSandbox


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local Chorus Pro sandbox (PISTE + /cpro API).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--seed", help="seed json (default: sandboxes/seed_directory.json)")
    parser.add_argument("--tls-port", type=int, default=0,
                        help="HTTPS port (default: any free one), certified by a CA made now")
    parser.add_argument("--tls-mode", default="valid", choices=("valid", "self_signed",
                                                                "wrong_name"))
    parser.add_argument("--token-ttl", type=int, default=3600, help="token lifetime in seconds")
    parser.add_argument("--log", help="append one line per request to this file")
    args = parser.parse_args(argv)
    sandbox = ChorusProSandbox(host=args.host, port=args.port, seed_path=args.seed,
                               token_ttl=args.token_ttl, log_path=args.log,
                               tls_port=args.tls_port, tls_mode=args.tls_mode)
    sandbox.start()
    print(f"Chorus Pro sandbox listening on {sandbox.url}")
    print(f"  oauth_url = {sandbox.oauth_url}   (token: POST {sandbox.oauth_url}/api/oauth/token)")
    print(f"  api_url   = {sandbox.api_url}")
    print(f"  https_url = {sandbox.https_url}   (CA file: {sandbox.ca_file})")
    print(f"  client_id = {sandbox.directory.client_id}")
    print(f"  client_secret = {sandbox.directory.client_secret}")
    for account in sandbox.directory.accounts:
        print(f"  technical account {account.login} / {account.password} "
              f"(supplier SIRET {account.supplier_siret})")
    print("  admin: POST /_sandbox/process_all, /_sandbox/advance {seconds}, ...", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
