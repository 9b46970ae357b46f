// Package deploy holds what puts the kiosk on a store machine as a
// service — the systemd unit in systemd/ — and the fleet's monitoring:
// the Prometheus alert rules, attested-build list and rule tests in
// prometheus/, the Grafana fleet dashboard in grafana/. Its tests verify
// the unit with systemd-analyze, run `make install` into a staging root,
// run promtool (check rules, test rules, and the dashboard's queries
// through Prometheus's parser), and keep docs/operator.md §5 in step with
// the rules. The queries themselves are checked against a real kiosk's
// /metrics by cmd/kiosk TestFleetViewMatchesMetrics.
package deploy
