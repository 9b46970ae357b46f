//go:build kofu_testclock

package main

// testClockBuild: this is a test build (-tags kofu_testclock), whose
// `--clock` also sets a store machine's clock, so that tests of the store
// binary see the same screens at any hour of any day.
const testClockBuild = true
