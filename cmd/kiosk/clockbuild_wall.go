//go:build !kofu_testclock

package main

// testClockBuild says whether this binary lets `--clock` set a store
// machine's clock. A release build does not: a store machine keeps the
// wall clock, which its center's skew check and the service's hours hold
// it to. Tests that drive the store binary at pinned instants build it
// with -tags kofu_testclock (binary_test.go's buildKioskTestClock).
const testClockBuild = false
