// Package deploy holds what puts the kiosk on a store machine as a
// service — the systemd unit in systemd/ — and its tests: the unit
// verified by systemd-analyze, and `make install` into a staging root.
package deploy
