package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"kofu/cardreader"
)

// runCard is `kiosk card info|sign` (DESIGN §8): the technician's checks
// of the card reader and a card, through PC/SC. Both card generations:
// the current card (RSA-2048, PKCS#1 v1.5 over SHA-256 here) and the
// second-generation one (ECDSA P-384 over SHA-384, its APDUs an
// assumption: cardreader.ProfileGen2Assumed); which one is detected.
//
//	kiosk card info [--reader FILTER] [--pem] [--trace]
//	kiosk card sign --pin-stdin|--pin PIN --in FILE --out SIG [--reader FILTER] [--trace]
//
// The PIN is never printed, logged or written. --pin-stdin (or its older
// spelling --pin -) reads it from the first line of stdin into a byte
// slice that is zeroed after use; --pin PIN is for tests only, as the PIN
// then sits in the process's arguments (ps, /proc/PID/cmdline) where it
// cannot be zeroed.
func runCard(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	return runCardIn(ctx, args, os.Stdin, stdout, stderr)
}

func runCardIn(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || (args[0] != "info" && args[0] != "sign") {
		fmt.Fprintln(stderr, "usage: kiosk card info [--reader FILTER] [--pem] [--trace]\n       kiosk card sign --pin-stdin|--pin PIN --in FILE --out SIG [--reader FILTER] [--trace]")
		return 2, errors.New("want a subcommand: info or sign")
	}
	sub := args[0]
	fs := flag.NewFlagSet("card "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	reader := fs.String("reader", "", "use the first reader whose name contains FILTER (case-insensitive)")
	trace := fs.Bool("trace", false, "print every APDU on stderr (PINs redacted)")
	wait := fs.Duration("wait", 0, "wait up to this long for a card to be inserted")
	var pemOut, pinStdin *bool
	var pinFlag, in, out *string
	if sub == "info" {
		pemOut = fs.Bool("pem", false, "also print the user-authentication certificate in PEM")
	} else {
		pinFlag = fs.String("pin", "", pinFlagHelp+"; - is --pin-stdin")
		pinStdin = fs.Bool("pin-stdin", false, pinStdinHelp)
		in = fs.String("in", "", "file to sign: its SHA-256 with an RSA card (PKCS#1 v1.5), its SHA-384 with a P-384 card (ECDSA, the signature in ASN.1 DER)")
		out = fs.String("out", "", "file to write the signature to")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var pin []byte
	if sub == "sign" {
		if *in == "" || *out == "" || (*pinFlag == "" && !*pinStdin) {
			return 2, errors.New("card sign needs --pin-stdin (or --pin), --in and --out")
		}
		fromStdin := *pinStdin || *pinFlag == "-"
		if fromStdin && *pinFlag == "-" {
			*pinFlag = ""
		}
		var err error
		if pin, err = readPIN(*pinFlag, fromStdin, stdin); err != nil {
			return 2, err
		}
		defer clear(pin)
	}
	opts := &cardreader.Options{}
	if *trace {
		opts.Trace = stderr
	}
	pc, err := cardreader.NewContext()
	if err != nil {
		return 1, err
	}
	defer pc.Close()
	if *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		_, _, err := pc.WaitCard(wctx, *reader)
		cancel()
		if err != nil {
			return 1, fmt.Errorf("no card within %s: %w", *wait, err)
		}
	}
	card, err := pc.OpenFirst(ctx, *reader, opts)
	if err != nil {
		return 1, err
	}
	defer card.Close()
	if sub == "info" {
		return cardInfo(ctx, card, *pemOut, stdout)
	}
	return cardSign(ctx, card, pin, *in, *out, stdout)
}

// The help of the PIN flags, shared by `kiosk card sign` and `kiosk run
// --autopilot`.
const (
	pinFlagHelp  = "the card's PIN, FOR TESTS ONLY: it shows in ps and /proc/PID/cmdline and cannot be zeroed; use --pin-stdin"
	pinStdinHelp = "read the card's PIN from the first line of stdin (kept in memory only until the card has it)"
)

// ErrPINSource is a command line that names no PIN source, or two.
var ErrPINSource = errors.New("the PIN comes from --pin-stdin or --pin, not both")

// readPIN returns the PIN of a command line in a fresh byte slice that the
// caller zeroes after use: from one line of stdin (fromStdin), else from
// pinArg (nil when that is empty: the caller's default applies). Both at
// once is ErrPINSource; an empty line on stdin is an error, never an empty
// PIN sent to a card (whose tries it would spend).
func readPIN(pinArg string, fromStdin bool, stdin io.Reader) ([]byte, error) {
	if !fromStdin {
		if pinArg == "" {
			return nil, nil
		}
		return []byte(pinArg), nil
	}
	if pinArg != "" {
		return nil, ErrPINSource
	}
	pin, err := readSecretLine(stdin)
	if err != nil {
		return nil, fmt.Errorf("reading the PIN from stdin: %w", err)
	}
	if len(pin) == 0 {
		return nil, errors.New("reading the PIN from stdin: an empty line")
	}
	return pin, nil
}

func cardInfo(ctx context.Context, card *cardreader.Card, withPEM bool, stdout io.Writer) (int, error) {
	fmt.Fprintf(stdout, "reader:         %s\n", card.Reader())
	fmt.Fprintf(stdout, "atr:            % X\n", card.ATR())
	tok, err := card.Token(ctx)
	if err != nil {
		return 1, fmt.Errorf("token: %w", err)
	}
	fmt.Fprintf(stdout, "token:          %s (%s)\n", tok, tokenName(tok))
	cert, err := card.AuthCertificate(ctx)
	if err != nil {
		return 1, fmt.Errorf("user-authentication certificate: %w", err)
	}
	fmt.Fprintf(stdout, "profile:        %s\n", card.Profile())
	fmt.Fprintf(stdout, "key:            %s\n", keyName(cert.PublicKey))
	fmt.Fprintf(stdout, "subject:        %s\n", cert.Subject)
	fmt.Fprintf(stdout, "issuer:         %s\n", cert.Issuer)
	fmt.Fprintf(stdout, "serial:         %s\n", cert.SerialNumber.Text(16))
	fmt.Fprintf(stdout, "valid:          %s – %s", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	if now := time.Now(); now.After(cert.NotAfter) {
		fmt.Fprint(stdout, " (EXPIRED)")
	} else if now.Before(cert.NotBefore) {
		fmt.Fprint(stdout, " (NOT YET VALID)")
	}
	fmt.Fprintln(stdout)
	n, err := card.AuthPINRetries(ctx)
	if err != nil {
		return 1, fmt.Errorf("PIN tries: %w", err)
	}
	if n == 0 {
		fmt.Fprintln(stdout, "pin tries left: 0 (BLOCKED: the municipal office must unblock it)")
	} else {
		fmt.Fprintf(stdout, "pin tries left: %d\n", n)
	}
	if withPEM {
		if err := pem.Encode(stdout, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); err != nil {
			return 1, err
		}
	}
	return 0, nil
}

func tokenName(t cardreader.Token) string {
	switch t {
	case cardreader.TokenMyNumber:
		return "My Number card"
	case cardreader.TokenJuki:
		return "Juki card"
	case cardreader.TokenSmartphone:
		return "smartphone; the certificate needs the PIN"
	}
	return "unknown token"
}

// keyName names a certificate's key: "RSA-2048", "ECDSA P-384".
func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", pub)
}

// cardSign signs in's digest with the card's user-authentication key
// unlocked by pin, which the caller zeroes (only --pin's own string, in
// the process arguments, cannot be): SHA-256 and PKCS#1 v1.5 with an RSA
// card, SHA-384 and ECDSA (ASN.1 DER) with a P-384 card.
func cardSign(ctx context.Context, card *cardreader.Card, pin []byte, in, out string, stdout io.Writer) (int, error) {
	data, err := os.ReadFile(in)
	if err != nil {
		return 1, err
	}
	cert, err := card.AuthCertificate(ctx)
	if err != nil {
		return 1, fmt.Errorf("user-authentication certificate: %w", err)
	}
	var digest []byte
	hash, scheme := crypto.SHA256, "RSA PKCS#1 v1.5"
	switch kt, _ := cardreader.KeyTypeOf(cert.PublicKey); kt {
	case cardreader.KeyECDSAP384:
		d := sha512.Sum384(data)
		digest, hash, scheme = d[:], crypto.SHA384, "ECDSA P-384 (ASN.1 DER)"
	default:
		d := sha256.Sum256(data)
		digest = d[:]
	}
	key, err := card.AuthKey(ctx, pin)
	if err != nil {
		var ae *cardreader.AuthError
		switch {
		case errors.As(err, &ae) && ae.Retries > 0:
			return 1, fmt.Errorf("wrong PIN: %d tries left", ae.Retries)
		case errors.Is(err, cardreader.ErrPINBlocked):
			return 1, errors.New("the PIN is blocked: the municipal office must unblock it")
		}
		return 1, err
	}
	sig, err := key.Sign(nil, digest, hash)
	if err != nil {
		return 1, err
	}
	if err := verifySignature(cert.PublicKey, hash, digest, sig); err != nil {
		return 1, fmt.Errorf("signature does not verify with the card's certificate: %w", err)
	}
	if err := os.WriteFile(out, sig, 0o644); err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "signed %s (%d bytes, %v %X) with %s: %d-byte %s signature in %s; it verifies with the certificate\n",
		in, len(data), hash, digest[:8], cert.Subject, len(sig), scheme, out)
	return 0, nil
}

// errNoVerify: a signature that does not verify with the certificate.
var errNoVerify = errors.New("verification failed")

// verifySignature checks sig over digest with the certificate's key, as
// the kiosk's own check after the card's.
func verifySignature(pub crypto.PublicKey, hash crypto.Hash, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, hash, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errNoVerify
		}
		return nil
	}
	return fmt.Errorf("%w: a %T key", errNoVerify, pub)
}

// readSecretLine reads one line of at most 64 bytes from r, a byte at a
// time so that no buffer keeps a copy of it.
func readSecretLine(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 64)
	var b [1]byte
	defer func() { b[0] = 0 }()
	for len(buf) < cap(buf) {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return buf, nil
			}
			if b[0] != '\r' {
				buf = append(buf, b[0])
			}
		}
		if errors.Is(err, io.EOF) && len(buf) > 0 {
			return buf, nil
		}
		if err != nil {
			clear(buf)
			return nil, err
		}
	}
	return buf, nil
}
