"""Renders the program under Pulumi's mocks for the smoke tier and prints, as JSON, the Kubernetes objects it would
create (kind, name and inputs, secret values in clear).

    .venv/bin/python smoke/render_env.py DATABASE_URL BROKER_URL [KEY=VALUE ...]

Runs in the project's .venv (the Pulumi SDK, tools.harness), not in the smoke virtualenv: test_smoke.py starts it.
The URLs become the `externalDatabaseUrl`/`externalBrokerUrl` secrets, so every rendered environment names the
loopback servers the test started rather than in-cluster ones. Further `KEY=VALUE` arguments are stack settings
(`gitSyncRepository=...`), for a module that needs more than the defaults; `secret:KEY=VALUE` stores the value
encrypted.
"""

from __future__ import annotations

import json
import sys

from tools.harness import run_program
from tools.render import plain_numbers

# `secret:key=value` sets the key as the CLI sets an encrypted value.
SECRET_PREFIX = "secret:"


def main(database_url: str, broker_url: str, *settings: str) -> None:
    secrets = {"airflow:externalDatabaseUrl": database_url, "airflow:externalBrokerUrl": broker_url}
    plain = {}
    for setting in settings:
        key, _, value = setting.partition("=")
        if key.startswith(SECRET_PREFIX):
            secrets[f"airflow:{key.removeprefix(SECRET_PREFIX)}"] = value
        else:
            plain[f"airflow:{key}"] = value
    capture = run_program({**plain, **secrets}, secret_keys=list(secrets), stack="smoke")
    objects = [plain_numbers(r.plain_inputs) for r in capture.kubernetes_objects()]
    json.dump([o for o in objects if isinstance(o, dict) and o.get("kind")], sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
