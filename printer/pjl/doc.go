// Package pjl builds the Printer Job Language envelope kofu wraps around a
// job and reads what the printer answers: a readback parser robust to
// garbage and to the interleaved messages of several jobs, status-code
// classes, and the Tracker that decides whether a job was printed.
package pjl
