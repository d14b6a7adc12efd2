# The real-engine test tier (see e2e/README.md); the offline tiers run with ./test.sh.
.PHONY: toolchain e2e

# Builds Pulumi, its plugins, etcd and the Kubernetes control plane from Go modules into a cache outside
# the repository, then reuses it. Niced: a cold build keeps both cores busy for many minutes.
toolchain:
	nice -n 19 e2e/build-toolchain.sh

# Builds what the toolchain can (printing each piece's build time), then runs every e2e test the cache allows:
# the cluster acceptance tier needs etcd and the control plane only; the engine tests say why they skip while the
# Pulumi modules cannot be had.
e2e:
	-nice -n 19 e2e/build-toolchain.sh
	e2e/run.sh

# The smoke tier (see smoke/README.md): builds its cache once (a virtualenv with the real Airflow, PostgreSQL and
# Redis binaries; niced), then runs the real Airflow on the rendered commands and environment, without Kubernetes.
.PHONY: smoke
smoke:
	nice -n 19 smoke/setup.sh
	smoke/run.sh
