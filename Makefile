# The heavy test tiers; the offline tiers run with ./test.sh, and .ci/run runs everything.
.PHONY: toolchain e2e smoke mutate

# Builds Pulumi, its plugins, etcd and the Kubernetes control plane from Go modules into a cache outside
# the repository, then reuses it. Niced: a cold build keeps both cores busy for many minutes.
toolchain:
	nice -n 19 e2e/build-toolchain.sh

# Builds what the toolchain cache lacks (printing each piece's build time), then runs the whole e2e tier:
# the cluster acceptance tests and the engine tests. A piece that does not build stops it.
e2e: toolchain
	AIRFLOW_REQUIRE_TIERS=1 e2e/run.sh

# The smoke tier (see smoke/README.md): builds its cache once (a virtualenv with the real Airflow, PostgreSQL and
# Redis binaries; niced), then runs the real Airflow on the rendered commands and environment, without Kubernetes.
smoke:
	nice -n 19 smoke/setup.sh
	AIRFLOW_REQUIRE_TIERS=1 smoke/run.sh

# Mutation testing of components/ with the unit tests (tools/mutate.py), niced: every mutant, hours on one core.
# MUTATE_ARGS="--changed REF" tries only the functions changed since REF, "--every 20" a sample. Prints the score;
# survivors do not fail it.
mutate:
	nice -n 19 .venv/bin/python -m tools.mutate $(MUTATE_ARGS)
