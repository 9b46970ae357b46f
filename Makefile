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
