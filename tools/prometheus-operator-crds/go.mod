// The prometheus-operator module, for the ServiceMonitor and PrometheusRule CRDs in its example/
// folder: the tests install them before a server-side dry-run of the chart's monitoring objects.
// Nothing here is built, so `go mod tidy` would drop the requirement: keep it as it is.
module keyless.dev/tools/prometheus-operator-crds

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
