#!/usr/bin/env bash
# Builds the e2e toolchain from Go modules (Pulumi CLI and Python language host, the kubernetes
# and random resource plugins, etcd, kube-apiserver, kube-controller-manager) plus the harness's
# virtualenv into the cache named in cache.sh, skipping every piece already built at the pinned
# version. Prints each piece's build time and the total. Heavy: make toolchain runs it niced.
# `build-toolchain.sh [piece...]` builds only the pieces named (cache.sh lists them).
set -euo pipefail
# shellcheck source=e2e/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

# Static binaries: they must run on any machine of this kind, whatever libc they were built on.
export CGO_ENABLED=0
mkdir -p "$E2E_BIN" "$E2E_CACHE/stamps" "$E2E_CACHE/src" "$E2E_CACHE/figures"

# A committed wrapper module must require what versions.env pins, or the cache would be stamped
# with a version it was not built from.
require_pin() { # wrapper-dir module version
  local got
  got=$(cd "$1" && go list -m -f '{{.Version}}' "$2")
  if [ "$got" != "$3" ]; then
    echo "$1/go.mod requires $2 $got but versions.env pins $3;" \
      "run: (cd $1 && go get $2@$3 && go mod tidy)" >&2
    return 1
  fi
}

# A provider embeds files that its own build generates, so it is built in a writable copy of its
# module rather than from the read-only module cache.
copy_module() { # module@version destination
  local dir
  go mod download "$1"
  dir=$(go list -m -f '{{.Dir}}' "$1")
  rm -rf "$2"
  cp -r "$dir" "$2"
  chmod -R u+w "$2"
}

build_etcd() {
  local w=$e2e_dir/toolchain/etcd
  require_pin "$w" go.etcd.io/etcd/server/v3 "v$ETCD_VERSION"
  (cd "$w" && go build -trimpath -ldflags '-s -w' -o "$E2E_BIN/etcd" go.etcd.io/etcd/server/v3)
}

build_kubernetes() {
  local w=$e2e_dir/toolchain/kubernetes v=v$KUBERNETES_VERSION ld="-s -w" pkg date major minor
  require_pin "$w" k8s.io/kubernetes "$v"
  # The binaries derive their emulation and API compatibility versions from gitVersion; the
  # in-tree default (v0.0.0-master) would make the server report and behave as an unreleased
  # build. buildDate is the release's own date so that a rebuild yields the same binary.
  date=$(cd "$w" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  IFS=. read -r major minor _ <<<"$KUBERNETES_VERSION"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  (cd "$w" && go build -trimpath -ldflags "$ld" -o "$E2E_BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
}

build_pulumi() {
  local w=$e2e_dir/toolchain/pulumi v=v$PULUMI_VERSION
  require_pin "$w" github.com/pulumi/pulumi/pkg/v3 "$v"
  # Only the CLI: the Python language host's module is refused by the proxy, and e2e/language_host.py stands in
  # for it (e2e/README.md says what that leaves uncovered).
  (cd "$w" && go build -trimpath -o "$E2E_BIN/" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

# Builds a Pulumi provider the way its own Makefile does: go generate writes the embedded schema
# (not committed) from the committed one, stamped with the version.
build_provider() { # name module version source-dir
  (cd "$4" &&
    VERSION=$3 go generate "./cmd/pulumi-resource-$1" &&
    go build -trimpath -o "$E2E_BIN/" \
      -ldflags "-s -w -X $2/pkg/version.Version=$3" "./cmd/pulumi-resource-$1")
}

build_resource_kubernetes() {
  local m=github.com/pulumi/pulumi-kubernetes/provider/v4 src=$E2E_CACHE/src/pulumi-kubernetes
  local sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4
  copy_module "$m@$KUBERNETES_PROVIDER_MODULE_VERSION" "$src"
  # go.mod replaces the SDK module by ../sdk, which a module zip leaves out: the served SDK of the same
  # release takes its place.
  (cd "$src" && go mod edit -dropreplace "$sdk" && go get "$sdk@$KUBERNETES_PROVIDER_SDK_VERSION")
  build_provider kubernetes "$m" "$KUBERNETES_PROVIDER_VERSION" "$src"
}

# pulumi-random's provider module is refused by the module proxy, so the plugin is built from
# toolchain/random: terraform-provider-random bridged with a mapping of our own to the pulumi_random
# SDK's tokens and property names. As pulumi-random's own build does, tfgen writes the schema and
# bridge metadata that the plugin embeds, hence a writable copy of the module. The schema is also
# left in share/ for the tests.
build_resource_random() {
  local w=$e2e_dir/toolchain/random src=$E2E_CACHE/src/random ld tf want
  local pkg=github.com/terraform-providers/terraform-provider-random/airflowe2e
  local upstream=github.com/terraform-providers/terraform-provider-random
  require_pin "$w" github.com/pulumi/pulumi-terraform-bridge/v3 "v$RANDOM_BRIDGE_VERSION"
  require_pin "$w" "$upstream" "v$TF_RANDOM_VERSION"
  want=0.0.0-tfrandom.${TF_RANDOM_VERSION##*-}.bridge.$RANDOM_BRIDGE_VERSION
  if [ "$RANDOM_PLUGIN_VERSION" != "$want" ]; then
    echo "versions.env: RANDOM_PLUGIN_VERSION must be $want to name the pins it is built from" >&2
    return 1
  fi
  rm -rf "$src" && cp -r "$w" "$src"
  ld="-s -w -X $pkg.Version=$RANDOM_PLUGIN_VERSION"
  # tfgen reads the upstream's docs/ for the schema's descriptions; examples are skipped, their
  # conversion from HCL would need the Pulumi CLI and its Terraform converter plugin.
  (cd "$src" &&
    go build -trimpath -ldflags "$ld" -o bin/ ./cmd/pulumi-tfgen-random &&
    tf=$(go list -m -f '{{.Dir}}' "$upstream") &&
    TF_RANDOM_DIR=$tf bin/pulumi-tfgen-random schema --skip-examples --out cmd/pulumi-resource-random &&
    go build -trimpath -ldflags "$ld" -o "$E2E_BIN/" ./cmd/pulumi-resource-random)
  mkdir -p "$E2E_CACHE/share"
  cp "$src/cmd/pulumi-resource-random/schema.json" "$E2E_CACHE/share/random-schema.json"
}

# The harness's own virtualenv, from the interpreter .venv was made with, so both run one Python.
build_venv() {
  local py
  py=$(readlink -f "$e2e_dir/../.venv/bin/python")
  rm -rf "$E2E_CACHE/venv"
  "$py" -m venv "$E2E_CACHE/venv"
  "$E2E_CACHE/venv/bin/pip" install --quiet --disable-pip-version-check -r "$e2e_dir/requirements.txt"
}

total_start=$SECONDS
failed=()
[ $# -gt 0 ] || set -- "${E2E_PIECES[@]}"
for piece in "$@"; do
  piece_version "$piece" >/dev/null
  if piece_ready "$piece"; then
    echo "$piece $(piece_version "$piece"): cached"
    continue
  fi
  start=$SECONDS
  # errexit is ignored inside an if condition, so the piece runs in a subshell of its own that
  # stops at its first failing command; the other pieces still get built.
  set +e
  (set -e; "build_${piece//-/_}")
  status=$?
  set -e
  if [ $status -eq 0 ]; then
    piece_version "$piece" >"$E2E_CACHE/stamps/$piece"
    echo "$piece $(piece_version "$piece"): built in $((SECONDS - start)) s"
    # bench reports these (bench/engine.py).
    printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$piece" "$(piece_version "$piece")" "$((SECONDS - start))" \
      >>"$E2E_CACHE/figures/builds.tsv"
  else
    echo "$piece $(piece_version "$piece"): FAILED after $((SECONDS - start)) s" >&2
    failed+=("$piece")
  fi
done
echo "toolchain: $((SECONDS - total_start)) s in all; cache $E2E_CACHE is $(du -sh "$E2E_CACHE" | cut -f1)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "toolchain incomplete: ${failed[*]} did not build (see above)" >&2
  exit 1
fi
