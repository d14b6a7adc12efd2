#!/usr/bin/env bash
# Deploys a stack (default: dev) to the current kube context: `./deploy.sh [stack] [pulumi up flags...]`.
# Uses the Pulumi backend you are logged in to, or else a local file backend in ~/.pulumi-local. `pulumi up` shows the
# plan and asks before it changes anything; `--yes` (passed on to it) skips the question.
# A stack whose file names a kube context (kubernetes:context: staging and prod do) deploys only while that context is
# the current one, so a deploy and the kubectl commands run after it cannot reach two different clusters.
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
# Which cluster this goes to, said before `pulumi up` asks for confirmation; a stack bound to another context than the
# current one stops here with the reason. Read from the stack file and the kubeconfig, not through the Pulumi CLI,
# which may need the secrets passphrase to read a stack's config.
target=$(.venv/bin/python -m tools.kube_context --stack "$stack") || exit 1
pulumi stack select --create "$stack"
echo "deploy.sh: stack $stack -> kube context $target" >&2
exec pulumi up --stack "$stack" "$@"
