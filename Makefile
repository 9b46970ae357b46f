# Convenience targets; the README's two commands are the supported entry points.
.PHONY: test emulator generate fuzz-long bench

test:
	scripts/test.sh

emulator:
	scripts/emulator.sh

# Regenerates the text captures of every screen under docs/screens: the
# customer UI in each language at 80×24, 100×32 and 160×45, kiosk diag at
# 80×24 and 160×45 (the same tests check line breaks; two runs write the
# same files).
.PHONY: screens
screens:
	rm -rf docs/screens/customer docs/screens/diag
	KOFU_SCREENS=$(abspath docs/screens) go test -count=1 -run '^(TestScreensInEachLanguage|TestScreenCaptures)$$' ./terminal/tui ./terminal/diag

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

# Installs the kiosk on a store machine: the binary, the systemd unit, an
# example configuration and municipality list, and the operator and
# technician guides; creates the journal's
# directory. PREFIX (default /usr/local) and DESTDIR (staging root) are
# honoured; the unit's paths follow BINDIR and SYSCONFDIR. -buildvcs=auto
# stamps the VCS revision into the build's identity (its "sw") even where
# GOFLAGS turns it off.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DOCDIR ?= $(PREFIX)/share/doc/kofu
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
STATEDIR ?= /var/lib/kofu
GO ?= go
.PHONY: install
install:
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/kofu $(DESTDIR)$(DOCDIR)
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	$(GO) build -buildvcs=auto -o $(DESTDIR)$(BINDIR)/kiosk ./cmd/kiosk
	chmod 0755 $(DESTDIR)$(BINDIR)/kiosk
	sed -e 's|/usr/local/bin/kiosk|$(BINDIR)/kiosk|g' -e 's|/etc/kofu/|$(SYSCONFDIR)/kofu/|g' \
	    -e 's|/var/lib/kofu|$(STATEDIR)|g' -e 's|/usr/local/share/doc/kofu|$(DOCDIR)|g' \
	    deploy/systemd/kofu-kiosk.service > $(DESTDIR)$(UNITDIR)/kofu-kiosk.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kofu-kiosk.service
	install -m 0644 terminal/config/kiosk.example.toml $(DESTDIR)$(SYSCONFDIR)/kofu/kiosk.toml.example
	install -m 0644 terminal/config/municipalities.example.toml $(DESTDIR)$(SYSCONFDIR)/kofu/municipalities.toml.example
	install -m 0644 docs/operator.md $(DESTDIR)$(DOCDIR)/operator.md
	install -m 0644 docs/technician.md $(DESTDIR)$(DOCDIR)/technician.md
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/fleet
	install -m 0644 deploy/prometheus/kofu-rules.yml deploy/prometheus/kofu-attested.yml deploy/grafana/kofu-fleet.json $(DESTDIR)$(DOCDIR)/fleet/
	@echo "installed; next: useradd --system --user-group --home-dir $(STATEDIR) kofu, then docs/operator.md §2"

# The side-by-side performance report (docs/PERFORMANCE.md): Markdown on
# stdout, PNG charts in docs/bench/.
bench:
	scripts/bench.sh
