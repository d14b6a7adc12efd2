module airflow-e2e/toolchain/pulumi

go 1.26.0

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

require (
	github.com/pulumi/pulumi/pkg/v3 v3.272.0
	github.com/pulumi/pulumi/sdk/v3 v3.272.0
)

// The non-local replace of pulumi's own pkg/go.mod (its replace of sdk/v3 by ../sdk is what the
// require of the same tagged sdk stands for). Read from pkg/go.mod at v3.259.0, the newest tag
// readable here: the Go module proxy refused v3.272.0 (403) on 2026-11-24, so recheck it there.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
