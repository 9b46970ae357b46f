package config

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"kofu/protocol"
	"kofu/protocol/pages"
	"kofu/terminal"
)

// DigestLen is the number of hex digits of the configuration digest sent
// in the request's "sw" (64 bits: enough to tell attested configurations
// apart, short enough for the 128-byte "sw").
const DigestLen = 16

// effective is the canonical effective configuration: every key that
// changes how the kiosk issues, with defaults filled in, in a fixed order.
// The municipality list the UI offers counts by content. It leaves out
// what is per machine or does not change issuance: the
// terminal's identity and device key (the center knows the terminal from
// mutual TLS; a fleet shares one digest), the journal's path and key
// (machine-local; the key is a secret), the metrics endpoint and the log
// format. Trust anchors count by content (their certificates' SHA-256),
// file printers by their PDL, not their path.
type effective struct {
	V         int       `json:"v"`
	CenterURL string    `json:"center_url"`
	TLSCA     []string  `json:"tls_ca"`
	CenterCA  []string  `json:"center_ca"`
	IssuerCA  []string  `json:"issuer_ca"`
	Timeouts  [4]string `json:"center_timeouts"` // request, document, page, outcome
	MaxSkew   string    `json:"max_skew"`
	MaxPages  int       `json:"max_pages"`
	Reader    string    `json:"reader"`
	Printer   string    `json:"printer"`
	Margin    float64   `json:"printer_margin_mm,omitempty"` // only above the 5 mm floor
	Session   [6]string `json:"session"`                     // timeout, choose, pin, pay, print, finish
	Languages []string  `json:"languages"`
	Default   string    `json:"default_language"`
	Munis     string    `json:"municipalities"` // SHA-256 of the parsed list, "" when none
	Profile   string    `json:"profile"`
	Helpdesk  string    `json:"helpdesk,omitempty"` // on screen: attested with the rest

	// The printer keys of issue 19 are left out at their defaults, so
	// that a configuration that does not set them keeps its digest:
	// quirks (parsed, spelt canonically, sorted), the status interval
	// when not 1s, the ground pattern only when off, and duplex only when
	// it is not the profile's default (on for the store profiles).
	Quirks         []string `json:"printer_quirks,omitempty"`
	StatusInterval string   `json:"printer_status_interval,omitempty"`
	GroundPattern  string   `json:"printer_ground_pattern,omitempty"`
	Duplex         string   `json:"printer_duplex,omitempty"` // only when not the profile's default
	// Members is session.members, only when not the default: the key came
	// after the others, and a configuration without it keeps its digest.
	Members string `json:"session_members,omitempty"`
}

// Canonical returns the canonical effective configuration (JSON) the
// digest is computed from; t supplies the trust anchors' certificates.
func (c *Config) Canonical(t *Trust) []byte {
	or := func(d Duration, def time.Duration) string {
		if d.Duration > 0 {
			return d.String()
		}
		return def.String()
	}
	pt, st := protocol.DefaultTimeouts(), terminal.DefaultTimeouts()
	e := effective{V: 1, CenterURL: strings.TrimSuffix(strings.ToLower(c.Center.URL), "/"),
		Timeouts: [4]string{or(c.Center.Timeouts.Request, pt.Request), or(c.Center.Timeouts.Document, pt.Document),
			or(c.Center.Timeouts.Page, pt.Page), or(c.Center.Timeouts.Outcome, pt.Outcome)},
		MaxSkew: or(c.Center.MaxSkew, 2*time.Minute), MaxPages: c.Center.MaxPages,
		Reader: c.Card.Reader, Printer: c.Printer.Spec, Margin: c.Printer.MarginMM,
		Session: [6]string{or(c.Session.Timeout, st.Session), or(c.Session.Choose, st.Choose), or(c.Session.PIN, st.PIN),
			or(c.Session.Pay, st.Pay), or(c.Session.Print, st.Print), or(c.Session.Finish, st.Finish)},
		Languages: slices.Clone(c.UI.Languages), Default: c.UI.Default, Profile: c.Profile.Name, Helpdesk: c.UI.Helpdesk}
	if e.MaxPages == 0 {
		e.MaxPages = protocol.MaxPages
	}
	if e.Margin <= pages.DefaultMarginMM {
		e.Margin = 0 // the floor, written out or left out, is the same configuration
	}
	if rules, err := c.Printer.QuirkRules(); err != nil {
		e.Quirks = []string{"unreadable"} // Check refuses it first
	} else {
		for _, r := range rules {
			e.Quirks = append(e.Quirks, r.String())
		}
		slices.Sort(e.Quirks)
		e.Quirks = slices.Compact(e.Quirks)
	}
	if d := c.Session.Members.Duration; d > 0 && d != st.Members {
		e.Members = d.String()
	}
	if d := c.Printer.StatusInterval.Duration; d > 0 && d != time.Second {
		e.StatusInterval = d.String()
	}
	if !c.Printer.PatternOn() {
		e.GroundPattern = "off"
	}
	if on := c.DuplexOn(); on != c.duplexDefault() {
		e.Duplex = map[bool]string{false: "off", true: "on"}[on]
	}
	if PrinterKind(e.Printer) == "file" {
		e.Printer = "file:*" + e.Printer[strings.LastIndexByte(e.Printer, '.'):]
	}
	if len(e.Languages) == 0 {
		e.Languages = LanguageCodes()
	}
	if e.Default == "" {
		e.Default = "ja"
	}
	if t != nil {
		e.TLSCA, e.CenterCA, e.IssuerCA = certSums(t.TLSCerts), certSums(t.CenterCerts), certSums(t.IssuerCerts)
	}
	if c.UI.Municipalities != "" {
		// The list the customer UI offers counts by content (codes,
		// names, fees), not by its path or layout.
		e.Munis = "unreadable"
		if ms, err := LoadMunicipalities(c.UI.Municipalities); err == nil {
			b, _ := json.Marshal(ms)
			sum := sha256.Sum256(b)
			e.Munis = hex.EncodeToString(sum[:])
		}
	}
	b, _ := json.Marshal(e) // a struct of strings and ints: cannot fail
	return b
}

// Digest is the configuration digest: the first DigestLen hex digits of
// SHA-256 of Canonical(t). It changes whenever a key that changes
// issuance changes, and only then.
func (c *Config) Digest(t *Trust) string {
	sum := sha256.Sum256(c.Canonical(t))
	return hex.EncodeToString(sum[:])[:DigestLen]
}

// certSums is the sorted SHA-256 of each certificate's DER.
func certSums(certs []*x509.Certificate) []string {
	out := make([]string, 0, len(certs))
	for _, c := range certs {
		s := sha256.Sum256(c.Raw)
		out = append(out, hex.EncodeToString(s[:]))
	}
	slices.Sort(out)
	return out
}
