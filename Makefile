# The real-engine test tier (see e2e/README.md); the offline tiers run with ./test.sh.
.PHONY: toolchain e2e

# Builds Pulumi, its plugins, etcd and the Kubernetes control plane from Go modules into a cache outside
# the repository, then reuses it. Niced: a cold build keeps both cores busy for many minutes.
toolchain:
	nice -n 19 e2e/build-toolchain.sh

# Prints the toolchain's build time (seconds when cached), then the e2e run's.
e2e: toolchain
	e2e/run.sh
