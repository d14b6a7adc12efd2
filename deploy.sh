#!/usr/bin/env bash
# Deploys a stack (default: dev) to the current kube context: `./deploy.sh [stack] [pulumi up flags...]`.
# Uses the Pulumi backend you are logged in to, or else a local file backend in ~/.pulumi-local.
set -euo pipefail
cd "$(dirname "$0")"
stack="${1:-dev}"
shift || true

command -v pulumi >/dev/null || { echo "deploy.sh: the Pulumi CLI is not installed (see https://www.pulumi.com/docs/install/)" >&2; exit 1; }
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || { echo "deploy.sh: needs python3, version 3.11 or newer" >&2; exit 1; }

if ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p "$HOME/.pulumi-local"
  pulumi login "file://$HOME/.pulumi-local"
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    echo "deploy.sh: local backend: Pulumi will ask for the passphrase that encrypts this stack's secrets" >&2
  fi
fi

# Creates .venv and installs requirements.txt into it (Pulumi.yaml names the virtualenv).
pulumi install
pulumi stack select --create "$stack"
# Say which cluster this goes to before `pulumi up` asks for confirmation: the stack's kubernetes:context, else the
# kubeconfig's current one.
echo "deploy.sh: stack $stack -> kube context $(.venv/bin/python -m tools.kube_context \
  "$(pulumi config get kubernetes:context --stack "$stack" 2>/dev/null || true)")" >&2
exec pulumi up --stack "$stack" "$@"
