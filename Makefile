# Convenience targets; the README's two commands are the supported entry points.
.PHONY: test emulator generate fuzz-long

test:
	scripts/test.sh

emulator:
	scripts/emulator.sh

# Regenerates the test PKI and residents (reproducible: same bytes).
generate:
	go generate ./...

# A long fuzz pass of every target (FUZZTIME each, default 5m), without
# the rest of the suite; new interesting inputs stay in Go's fuzz cache.
fuzz-long:
	scripts/fuzz.sh $${FUZZTIME:-5m}

# Soak: SOAK transactions (default 10,000) in one kiosk process with
# faults mixed in; heap, RSS and goroutines must stay flat (RELIABILITY.md).
.PHONY: soak
soak:
	KOFU_SOAK=$${SOAK:-10000} go test -count=1 -timeout 0 -run TestSoak -v ./internal/soak

# The fault matrix (card, pcscd, printer, network, center faults at every
# step) COUNT times over (default 5) to shake out timing; one pass runs in
# go test. KOFU_FAULTMATRIX_BUGS=1 also runs the rows skipped as known bugs.
.PHONY: faults-long
faults-long:
	go test -count=$${COUNT:-5} -timeout 30m -v -run 'TestFaultMatrix' ./internal/faultmatrix
