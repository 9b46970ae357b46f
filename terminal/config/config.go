// Package config is the kiosk's one configuration file (TOML): the center,
// trust anchors, terminal identity, reader, printer, journal, timeouts,
// languages and deployment profile, validated strictly so that every
// mistake names the key, the bad value and what is allowed.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"kofu/printer"
)

// Config is the kiosk configuration. Paths are absolute or relative to
// the configuration file's directory.
type Config struct {
	Center   Center   `toml:"center"`
	Terminal Terminal `toml:"terminal"`
	Card     Card     `toml:"card"`
	Printer  Printer  `toml:"printer"`
	Journal  Journal  `toml:"journal"`
	Session  Session  `toml:"session"`
	UI       UI       `toml:"ui"`
	Profile  Profile  `toml:"profile"`
	Metrics  Metrics  `toml:"metrics"`
	Log      Log      `toml:"log"`

	// Diag is the technician UI, kiosk diag (docs/technician.md).
	Diag       Diag       `toml:"diag"`
	Technician Technician `toml:"technician"`
}

// Center is where requests go and whom to trust for what.
type Center struct {
	URL      string   `toml:"url"`       // https://host:port
	TLSCA    string   `toml:"tls_ca"`    // operator CA pinned for the center's TLS certificate
	CenterCA string   `toml:"center_ca"` // signs tickets
	IssuerCA string   `toml:"issuer_ca"` // signs envelopes
	Timeouts Timeouts `toml:"timeouts"`
	MaxSkew  Duration `toml:"max_skew"`  // accepted clock skew (default 2m)
	MaxPages int      `toml:"max_pages"` // pages per document (default 12)
}

// Timeouts of the protocol stages.
type Timeouts struct {
	Request  Duration `toml:"request"`
	Document Duration `toml:"document"`
	Page     Duration `toml:"page"`
	Outcome  Duration `toml:"outcome"`
}

// Terminal is the kiosk's identity.
type Terminal struct {
	ID    string `toml:"id"`
	Store string `toml:"store"`
	Cert  string `toml:"cert"` // device certificate (PEM)
	Key   string `toml:"key"`  // device key (PEM, ECDSA P-256)
}

// Card selects the reader.
type Card struct {
	Reader string `toml:"reader"` // substring of the reader name; empty: the only reader
}

// Printer selects the printer.
type Printer struct {
	Spec string `toml:"spec"` // usb | usb:VID:PID | file:PATH | emulator
	// MarginMM is the printer's unprintable margin in millimetres: the
	// verifier refuses a page whose KOFU symbol, with its quiet zone, comes
	// closer than this to an edge, as the paper would not carry it whole.
	// 0 means the floor of DESIGN §3.4, 5 mm; a printer with a wider margin
	// raises it (the emulated center's symbol leaves 5.9 mm).
	MarginMM float64 `toml:"margin_mm"`
	// Quirks are site quirk rules added to kofu's built-in table, one per
	// string in CUPS's usb-quirks syntax: "0xVVVV [0xPPPP] flag [flag…]"
	// with the flags unidir, no-reattach, soft-reset, delay-close,
	// no-alt-set, blacklist, pjl-pages-counts-sheets (the printer's PJL
	// PAGES counts sheets, not faces) and no-duplex (no duplex unit)
	// (printer.ParseQuirkRule). They change how
	// a USB printer is driven (a "bidirectional" printer driven as
	// unidirectional can never confirm a job), so they count in the
	// configuration digest.
	Quirks []string `toml:"quirks"`
	// StatusInterval is how often the printer is asked its state while a
	// job waits for its confirmation, so that paper out or a jam ends the
	// job at once (printer.Options.StatusInterval; default 1s, 200ms to
	// 30s).
	StatusInterval Duration `toml:"status_interval"`
	// GroundPattern adds the copy-evident ground pattern (けん制文字,
	// printer/groundpattern) to every verified page at 600 dpi. Default
	// true; the store profiles require it. See PatternOn.
	GroundPattern *bool `toml:"ground_pattern"`
	// Duplex asks the center for two-sided documents (protocol doc
	// "sides": a back with its own bound symbol on every sheet, as the
	// real service prints) and prints them on both sides of each sheet;
	// a printer that cannot is refused by the health check and before
	// its job (print-no-duplex). Default: the profile's (on for the store
	// profiles, which require it; off for laptop). See Config.DuplexOn.
	Duplex *bool `toml:"duplex"`
}

// PatternOn reports whether the copy-evident ground pattern is on: true
// unless printer.ground_pattern = false.
func (p Printer) PatternOn() bool { return p.GroundPattern == nil || *p.GroundPattern }

// DuplexOn reports whether documents are asked and printed two-sided:
// printer.duplex when written, else the profile's default (ProfileSpec.
// Duplex: on for the store profiles, off for laptop and an unknown one).
func (c *Config) DuplexOn() bool {
	if c.Printer.Duplex != nil {
		return *c.Printer.Duplex
	}
	return c.duplexDefault()
}

// duplexDefault is the profile's duplex setting when printer.duplex is
// left out.
func (c *Config) duplexDefault() bool {
	spec, ok := LookupProfile(c.Profile.Name)
	return ok && spec.Duplex
}

// QuirkRules parses printer.quirks (Check has refused a bad rule).
func (p Printer) QuirkRules() ([]printer.QuirkRule, error) {
	out := make([]printer.QuirkRule, 0, len(p.Quirks))
	for _, q := range p.Quirks {
		r, err := printer.ParseQuirkRule(q)
		if err != nil {
			return nil, fmt.Errorf("printer.quirks: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Journal is where sessions are recorded.
type Journal struct {
	Path string `toml:"path"`
	Key  string `toml:"key"` // file holding the card-hash key (≥16 bytes)
}

// Session timeouts of the resident-facing stages.
type Session struct {
	Timeout Duration `toml:"timeout"`
	Choose  Duration `toml:"choose"`
	PIN     Duration `toml:"pin"`
	// Members bounds the choice of household members (世帯の一部) after
	// the PIN, while the card stays unlocked for the request's signature.
	Members Duration `toml:"members"`
	Pay     Duration `toml:"pay"`
	Print   Duration `toml:"print"`
	Finish  Duration `toml:"finish"`
}

// LanguageCodes are the customer UI's languages (ui.languages,
// ui.default): Japanese, English, Chinese (simplified), Korean,
// Portuguese (Brazilian) and Vietnamese.
func LanguageCodes() []string { return []string{"ja", "en", "zh", "ko", "pt", "vi"} }

// languageList is LanguageCodes for a validation message.
func languageList() string {
	codes := LanguageCodes()
	for i, c := range codes {
		codes[i] = strconv.Quote(c)
	}
	return "one of " + strings.Join(codes, ", ")
}

// UI languages.
type UI struct {
	Languages []string `toml:"languages"` // of LanguageCodes; none: all of them
	Default   string   `toml:"default"`
	// Municipalities names the service's municipality list (names, fees)
	// the customer UI offers in store mode (municipalities.go).
	Municipalities string `toml:"municipalities"`
	// Recheck is how often the out-of-service gate runs its checks while
	// the kiosk waits for a resident or is out of service (default 30s):
	// how soon a full disk closes the customer UI, and reopens it.
	Recheck Duration `toml:"recheck"`
	// Helpdesk is who the store clerk calls when the screen asks for
	// staff (a refusal, a printer that stopped, out of service): shown
	// as written, e.g. "コンビニ交付ヘルプデスク 0120-000-000（9:00〜17:30）".
	Helpdesk string `toml:"helpdesk"`
}

// Profile is the deployment the operator attested for this machine; the
// kiosk refuses to start when what it finds does not fit it (profile.go).
type Profile struct {
	Name string `toml:"name"` // one of Profiles(): "laptop", "store-single", "store-multi"
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	Listen      string `toml:"listen"`       // host:port; empty: no endpoint
	AllowRemote bool   `toml:"allow_remote"` // permit a non-loopback listen address
}

// Log is the kiosk's structured log (log/slog) on stderr.
type Log struct {
	Format string `toml:"format"` // "json" or "text"; empty: JSON unless stderr is a terminal
	Level  string `toml:"level"`  // "debug", "info" (default), "warn", "error"
}

// Diag is how often the technician UI (kiosk diag) asks each part again
// while its screen is shown; zero: the default.
type Diag struct {
	RefreshChecks  Duration `toml:"refresh_checks"`  // the overview's checks (default 1m)
	RefreshPrinter Duration `toml:"refresh_printer"` // the printer's status (default 5s)
	RefreshReader  Duration `toml:"refresh_reader"`  // the readers and the card (default 5s)
	RefreshCenter  Duration `toml:"refresh_center"`  // the center probe (default 1m)
	RefreshJournal Duration `toml:"refresh_journal"` // the journal, counters and outbox (default 10s)
}

// Technician is who may use kiosk diag on this machine: each account's
// id is journaled with every diag action that changes something; its PIN
// is kept only as a salted Argon2id hash (kiosk diag --hash-pin).
type Technician struct {
	Accounts []TechnicianAccount `toml:"account"`
}

// TechnicianAccount is one technician.
type TechnicianAccount struct {
	ID      string `toml:"id"`       // 1–32 of A–Z a–z 0–9 . _ -
	PINHash string `toml:"pin_hash"` // argon2id$v=19$m=…,t=…,p=…$SALT$HASH
}

var pinHashRe = regexp.MustCompile(`^argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$`)

// validateDiag checks the [diag] intervals — a second at least (the
// printer is asked while it holds a job), an hour at most — and the
// technician accounts.
func (c *Config) validateDiag() []error {
	var errs []error
	ids := map[string]bool{}
	for i, a := range c.Technician.Accounts {
		key := fmt.Sprintf("technician.account[%d]", i)
		if !idRe.MatchString(a.ID) || ids[a.ID] {
			errs = append(errs, &FieldError{key + ".id", strconv.Quote(a.ID), "1–32 of A–Z a–z 0–9 . _ -, each account its own"})
		}
		ids[a.ID] = true
		if !pinHashRe.MatchString(a.PINHash) {
			shown := a.PINHash
			if shown != "" {
				shown = "a value that is not an Argon2id hash"
			}
			errs = append(errs, &FieldError{key + ".pin_hash", shown, `the PIN's salted hash "argon2id$v=19$m=…,t=…,p=…$SALT$HASH" from kiosk diag --hash-pin (never the PIN itself)`})
		}
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"diag.refresh_checks", c.Diag.RefreshChecks}, {"diag.refresh_printer", c.Diag.RefreshPrinter},
		{"diag.refresh_reader", c.Diag.RefreshReader}, {"diag.refresh_center", c.Diag.RefreshCenter},
		{"diag.refresh_journal", c.Diag.RefreshJournal},
	} {
		if d.v.Duration != 0 && (d.v.Duration < time.Second || d.v.Duration > time.Hour) {
			errs = append(errs, &FieldError{d.key, strconv.Quote(d.v.String()), "between 1s and 1h0m0s (or leave it out for the default)"})
		}
	}
	return errs
}

// Duration is a TOML string like "90s".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"90s\" or \"2m\"", string(b))
	}
	d.Duration = v
	return nil
}

// FieldError is one invalid setting.
type FieldError struct {
	Key     string // dotted key, e.g. center.url
	Value   string // the offending value as written
	Allowed string // what is allowed
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: missing; %s", e.Key, e.Allowed)
	}
	return fmt.Sprintf("%s: %s is not allowed; %s", e.Key, e.Value, e.Allowed)
}

// Load reads and validates the configuration at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, dirOf(path))
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return ""
}

// Parse reads a configuration; relative paths are resolved against dir.
// All problems are reported at once, each a *FieldError (errors.Join).
func Parse(r io.Reader, dir string) (*Config, error) {
	var c Config
	md, err := toml.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				return nil, fmt.Errorf("%s (line %d): %s", pe.LastKey, pe.Position.Line, pe.Message)
			}
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, typeError(err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, &FieldError{Key: k.String(), Value: "an unknown key", Allowed: "see kiosk.example.toml for the keys"})
	}
	errs = append(errs, c.validate()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.resolve(dir)
	return &c, nil
}

// typeError rewords the decoder's type errors to name the key.
func typeError(err error) error {
	msg := err.Error()
	if m := regexp.MustCompile(`toml: line \d+ \(last key "([^"]+)"\): (.*)`).FindStringSubmatch(msg); m != nil {
		return &FieldError{Key: m[1], Value: "a value of the wrong type", Allowed: m[2]}
	}
	return err
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

func (c *Config) validate() []error {
	var errs []error
	bad := func(key, value, allowed string) { errs = append(errs, &FieldError{key, value, allowed}) }
	quote := strconv.Quote

	switch u, err := url.Parse(c.Center.URL); {
	case c.Center.URL == "":
		bad("center.url", "", "an https:// URL of the issuance center")
	case err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
		bad("center.url", quote(c.Center.URL), "must be https://host[:port] with no path")
	}
	for key, v := range map[string]string{"center.tls_ca": c.Center.TLSCA, "center.center_ca": c.Center.CenterCA,
		"center.issuer_ca": c.Center.IssuerCA, "terminal.cert": c.Terminal.Cert, "terminal.key": c.Terminal.Key,
		"journal.path": c.Journal.Path, "journal.key": c.Journal.Key} {
		if v == "" {
			bad(key, "", "a file path")
		}
	}
	if c.Center.CenterCA != "" && c.Center.CenterCA == c.Center.IssuerCA {
		bad("center.issuer_ca", quote(c.Center.IssuerCA), "must differ from center.center_ca: tickets and documents are signed under distinct CAs")
	}
	if !idRe.MatchString(c.Terminal.ID) {
		bad("terminal.id", quote(c.Terminal.ID), "1–32 of A–Z a–z 0–9 . _ -")
	}
	if !idRe.MatchString(c.Terminal.Store) {
		bad("terminal.store", quote(c.Terminal.Store), "1–32 of A–Z a–z 0–9 . _ -")
	}
	if err := checkPrinterSpec(c.Printer.Spec); err != nil {
		bad("printer.spec", quote(c.Printer.Spec), err.Error())
	}
	for _, q := range c.Printer.Quirks {
		if _, err := printer.ParseQuirkRule(q); err != nil {
			bad("printer.quirks", quote(q), `"0xVVVV [0xPPPP] FLAG…" with the flags unidir, no-reattach, soft-reset, delay-close, no-alt-set, blacklist, pjl-pages-counts-sheets, no-duplex`)
		}
	}
	if spec, ok := LookupProfile(c.Profile.Name); ok && spec.GroundPattern && !c.Printer.PatternOn() {
		bad("printer.ground_pattern", "false", "true (or leave it out): profile "+quote(c.Profile.Name)+" prints the copy-evident ground pattern")
	}
	if spec, ok := LookupProfile(c.Profile.Name); ok && spec.Duplex && !c.DuplexOn() {
		bad("printer.duplex", "false", "true (or leave it out): profile "+quote(c.Profile.Name)+" prints documents on both sides, as the real service does")
	}
	if m := c.Printer.MarginMM; m != 0 && !(m >= 5 && m <= 25) {
		bad("printer.margin_mm", strconv.FormatFloat(m, 'g', -1, 64), "0 (default: 5 mm) or 5 to 25 millimetres")
	}
	durations := []struct {
		key      string
		d        Duration
		min, max time.Duration
	}{
		{"center.timeouts.request", c.Center.Timeouts.Request, time.Second, 5 * time.Minute},
		{"center.timeouts.document", c.Center.Timeouts.Document, time.Second, 10 * time.Minute},
		{"center.timeouts.page", c.Center.Timeouts.Page, time.Second, 5 * time.Minute},
		{"center.timeouts.outcome", c.Center.Timeouts.Outcome, time.Second, 5 * time.Minute},
		{"center.max_skew", c.Center.MaxSkew, time.Second, 10 * time.Minute},
		{"session.timeout", c.Session.Timeout, 30 * time.Second, time.Hour},
		{"session.choose", c.Session.Choose, 5 * time.Second, 30 * time.Minute},
		{"session.pin", c.Session.PIN, 5 * time.Second, 30 * time.Minute},
		{"session.members", c.Session.Members, 5 * time.Second, 30 * time.Minute},
		{"session.pay", c.Session.Pay, 5 * time.Second, 30 * time.Minute},
		{"session.print", c.Session.Print, 5 * time.Second, 30 * time.Minute},
		{"session.finish", c.Session.Finish, 5 * time.Second, 30 * time.Minute},
		{"ui.recheck", c.UI.Recheck, time.Second, 10 * time.Minute},
		{"printer.status_interval", c.Printer.StatusInterval, 200 * time.Millisecond, 30 * time.Second},
	}
	for _, d := range durations {
		if d.d.Duration != 0 && (d.d.Duration < d.min || d.d.Duration > d.max) {
			bad(d.key, quote(d.d.String()), fmt.Sprintf("between %s and %s (or leave it out for the default)", d.min, d.max))
		}
	}
	if c.Center.MaxPages < 0 || c.Center.MaxPages > 12 {
		bad("center.max_pages", strconv.Itoa(c.Center.MaxPages), "0 (default) to 12")
	}
	codes := LanguageCodes()
	for _, l := range c.UI.Languages {
		if !slices.Contains(codes, l) {
			bad("ui.languages", quote(l), languageList())
		}
	}
	switch {
	case c.UI.Default == "" && len(c.UI.Languages) > 0 && !slices.Contains(c.UI.Languages, "ja"):
		bad("ui.default", "", `one of ui.languages (the default, "ja", is not offered)`)
	case c.UI.Default == "":
	case !slices.Contains(codes, c.UI.Default):
		bad("ui.default", quote(c.UI.Default), languageList())
	case len(c.UI.Languages) > 0 && !slices.Contains(c.UI.Languages, c.UI.Default):
		bad("ui.default", quote(c.UI.Default), "one of ui.languages")
	}
	if len(c.UI.Helpdesk) > 120 || strings.IndexFunc(c.UI.Helpdesk, unicode.IsControl) >= 0 {
		bad("ui.helpdesk", quote(c.UI.Helpdesk), "one line of at most 120 bytes")
	}
	names := ProfileNames()
	if c.Profile.Name == "" {
		bad("profile.name", "", "the deployment profile the operator attested for this machine: "+names)
	} else if _, ok := LookupProfile(c.Profile.Name); !ok {
		bad("profile.name", quote(c.Profile.Name), "one of "+names)
	}
	if c.Metrics.Listen != "" {
		if err := CheckListen(c.Metrics.Listen, c.Metrics.AllowRemote); err != nil {
			bad("metrics.listen", quote(c.Metrics.Listen), err.Error())
		}
	}
	switch c.Log.Format {
	case "", "json", "text":
	default:
		bad("log.format", quote(c.Log.Format), `"json" or "text" (or leave it out: JSON unless on a terminal)`)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		bad("log.level", quote(c.Log.Level), `one of "debug", "info", "warn", "error"`)
	}
	errs = append(errs, c.validateDiag()...)
	return errs
}

// CheckListen validates a metrics listen address: host:port with a
// numeric port, and a loopback host (127.0.0.0/8, ::1 or localhost)
// unless remote is allowed — the endpoint has no authentication.
func CheckListen(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, e.g. \"127.0.0.1:9464\"")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("must be a loopback address (127.0.0.1, ::1, localhost) unless metrics.allow_remote = true: the endpoint has no authentication")
}

var vidPidRe = regexp.MustCompile(`^usb:[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$`)

// checkPrinterSpec validates a printer selector (DESIGN §8).
func checkPrinterSpec(s string) error {
	switch {
	case s == "usb", s == "emulator", vidPidRe.MatchString(s):
		return nil
	case strings.HasPrefix(s, "file:") && (strings.HasSuffix(s, ".pcl") || strings.HasSuffix(s, ".pwg")):
		return nil
	}
	return errors.New(`one of "usb", "usb:VID:PID" (hex), "emulator", "file:PATH.pcl", "file:PATH.pwg"`)
}

// resolve makes relative paths relative to dir.
func (c *Config) resolve(dir string) {
	for _, p := range []*string{&c.Center.TLSCA, &c.Center.CenterCA, &c.Center.IssuerCA, &c.Terminal.Cert,
		&c.Terminal.Key, &c.Journal.Path, &c.Journal.Key, &c.UI.Municipalities} {
		if *p != "" && !strings.HasPrefix(*p, "/") {
			*p = dir + *p
		}
	}
	if strings.HasPrefix(c.Printer.Spec, "file:") && !strings.HasPrefix(c.Printer.Spec, "file:/") {
		c.Printer.Spec = "file:" + dir + strings.TrimPrefix(c.Printer.Spec, "file:")
	}
}
