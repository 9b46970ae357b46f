// Package faultmatrix injects device and network faults into real kiosk
// sessions — a loopback TCP proxy between the kiosk and the center that
// can reset, partition or slow the connection, wire steps to aim a fault
// at one protocol step, and an emulated printer with short confirmation
// timeouts — and its tests run the fault matrix of issue 7, item 3: one
// row per fault and step it hits, each checked for terminal state, fee,
// paper, journal and the outcome the center heard.
package faultmatrix
