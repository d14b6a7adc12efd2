#!/usr/bin/env bash
# Builds the e2e toolchain from Go modules (Pulumi CLI and Python language host, the kubernetes
# and random resource plugins, etcd, kube-apiserver, kube-controller-manager) plus the harness's
# virtualenv into the cache named in cache.sh, skipping every piece already built at the pinned
# version. Prints each piece's build time and the total. Heavy: make toolchain runs it niced.
set -euo pipefail
# shellcheck source=e2e/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

# Static binaries: they must run on any machine of this kind, whatever libc they were built on.
export CGO_ENABLED=0
mkdir -p "$E2E_BIN" "$E2E_CACHE/stamps" "$E2E_CACHE/src"

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
  local w=$E2E_CACHE/src/pulumi v=v$PULUMI_VERSION commit sdk
  require_pin "$e2e_dir/toolchain/pulumi" github.com/pulumi/pulumi/pkg/v3 "$v"
  # The language host is a module of its own that is never tagged: the release tag's commit is
  # what pins it to the same release as the CLI.
  commit=$(go list -m -json "github.com/pulumi/pulumi/pkg/v3@$v" |
    sed -n 's/^\t\t"Hash": "\(.*\)",$/\1/p')
  [ -n "$commit" ] || { echo "the module proxy gave no commit for pulumi $v" >&2; return 1; }
  # Adding the language host changes go.mod, so that happens in a copy, not in the repo.
  rm -rf "$w" && cp -r "$e2e_dir/toolchain/pulumi" "$w"
  (cd "$w" &&
    go get -tool "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@$commit" &&
    go mod tidy &&
    go build -trimpath -o "$E2E_BIN/" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
  # The language host runs the program through this script, which it looks for beside itself.
  sdk=$(cd "$w" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$E2E_BIN/"
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
  copy_module "$m@v$PULUMI_KUBERNETES_VERSION" "$src"
  build_provider kubernetes "$m" "$PULUMI_KUBERNETES_VERSION" "$src"
}

build_resource_random() {
  local m=github.com/pulumi/pulumi-random/provider/v4 src=$E2E_CACHE/src/pulumi-random
  local shim=github.com/terraform-providers/terraform-provider-random/shim upstream
  copy_module "$m@v$PULUMI_RANDOM_VERSION" "$src"
  # go.mod replaces the shim module by ./shim, a nested module that module zips leave out. It
  # only hands the upstream Terraform provider (an internal package, hence the shim's path under
  # the upstream module's) to the bridge. The provider's go.mod already lists (and go.sum sums)
  # every module the shim needs, and replaces the upstream with its fork, so the shim's go.mod
  # need only require the upstream at the version the provider's go.mod names.
  upstream=$(awk '$1 == "github.com/terraform-providers/terraform-provider-random" && $2 != "=>" {print $2}' \
    "$src/go.mod" | head -n 1)
  [ -n "$upstream" ] || { echo "$m: go.mod requires no upstream provider" >&2; return 1; }
  mkdir -p "$src/shim"
  printf 'module %s\n\ngo 1.24\n\nrequire github.com/terraform-providers/terraform-provider-random %s\n' \
    "$shim" "$upstream" >"$src/shim/go.mod"
  cat >"$src/shim/shim.go" <<'GO'
package shim

import (
	tfpf "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

func NewProvider() tfpf.Provider { return provider.New() }
GO
  build_provider random "$m" "$PULUMI_RANDOM_VERSION" "$src"
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
for piece in "${E2E_PIECES[@]}"; do
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
