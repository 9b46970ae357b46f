package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/terminal/journal"
)

// TestSecretsAfterTheTransaction runs the real kiosk binary with a canary
// PIN given by --pin and a canary resident, and catches the process idle
// after its transaction: the session has ended and been journaled, and
// the process is blocked writing its one JSON line to a full stdout pipe.
// There it reads the whole memory of the live process — every readable
// mapping through /proc/PID/mem, which is what a core dump holds — then
// makes it dump every goroutine (SIGQUIT, GOTRACEBACK=all), as a crash
// would. It checks that:
//   - the VERIFY command carrying the PIN (00 20 00 80 04 PIN) is nowhere
//     in memory, and that a PIN which is not also a fixture's (the wrong-PIN
//     canary: the emulated card's own PIN and every resident's are in the
//     test fixtures the binary embeds) appears nowhere in memory as a
//     token; the process's argv, where --pin itself put it, is excluded;
//   - neither the PIN nor the resident's name, kana or address is on stdout,
//     stderr (the log), the Prometheus /metrics page scraped while idle,
//     the goroutine dump, the journal, or any file under TMPDIR or the
//     working directory;
//   - no document bytes (PNG, PCL, PJL, PWG Raster) are on disk outside
//     --out, even after the process died by the signal.
func TestSecretsAfterTheTransaction(t *testing.T) {
	bin := buildKiosk(t)
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip("no /proc: cannot read the live process's memory")
	}
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	const resident = "R0023" // an ordinary resident whose PIN no other resident has
	res, ok := fx.Resident(resident)
	if !ok {
		t.Fatalf("no resident %s", resident)
	}
	wrongPIN := unusedPIN(t, fx, bin)
	for _, tc := range []struct {
		name, pin, fault, outcome string
		pinInFixtures             bool
	}{
		{"printed", res.PIN, "", "printed", true},
		{"refused", res.PIN, "wrong-record", "refused", true},
		{"wrong-pin", wrongPIN, "", "cancelled", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, tmp, work := t.TempDir(), t.TempDir(), t.TempDir()
			args := []string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--resident", resident, "--doc", "juminhyo",
				"--pin", tc.pin, "--out", out, "--metrics", "127.0.0.1:0"}
			if tc.fault != "" {
				args = append(args, "--fault", tc.fault)
			}
			k := startIdleKiosk(t, bin, work, tmp, args)
			defer k.kill()
			if err := k.waitIdle(2 * time.Minute); err != nil {
				t.Fatalf("%v\nstderr: %s", err, k.stderr.Bytes())
			}

			// The session is over and journaled.
			rep, err := journal.Verify(filepath.Join(out, "journal"))
			if err != nil || rep.Outcomes[tc.outcome] != 1 || len(rep.Open) != 0 {
				t.Fatalf("journal while idle: %+v %v\nstderr: %s", rep, err, k.stderr.Bytes())
			}

			metricsPage := scrapeMetrics(t, k.stderr.Bytes())

			// The live process's memory.
			verifyAPDU := append([]byte{0x00, 0x20, 0x00, 0x80, 0x04}, tc.pin...)
			mem, err := scanMemory(k.cmd.Process.Pid, verifyAPDU, []byte(tc.pin))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("scanned %d MiB of the live process in %d mappings", mem.bytes>>20, mem.regions)
			for _, h := range mem.hits[0] {
				t.Errorf("the VERIFY APDU with the PIN is still in memory: %s", h)
			}
			pinTokens := 0
			for _, h := range mem.hits[1] {
				if h.token {
					pinTokens++
					if !tc.pinInFixtures {
						t.Errorf("the PIN is still in memory: %s", h)
					}
				}
			}
			t.Logf("the PIN as a token outside argv: %d times (in fixtures: %v)", pinTokens, tc.pinInFixtures)

			// A crash now: every goroutine's stack on stderr.
			k.cmd.Process.Signal(syscall.SIGQUIT)
			k.wait()
			dump := k.stderr.Bytes()
			if !bytes.Contains(dump, []byte("SIGQUIT")) || !bytes.Contains(dump, []byte("goroutine ")) {
				t.Fatalf("no goroutine dump after SIGQUIT:\n%s", dump)
			}

			canaries := map[string]string{"name": res.Name, "kana": res.Kana, "address": res.Address}
			places := map[string][]byte{"stderr and goroutine dump": dump, "stdout": k.stdout(), "/metrics": metricsPage}
			for _, f := range []string{"journal", "journal.key"} {
				b, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				places[f] = b
			}
			for _, dir := range []string{tmp, work} {
				for name, b := range filesUnder(t, dir) {
					places[name] = b
					if kind := documentMagic(b); kind != "" {
						t.Errorf("%s bytes on disk outside --out: %s", kind, name)
					}
				}
			}
			for place, data := range places {
				for what, c := range canaries {
					if bytes.Contains(data, []byte(c)) {
						t.Errorf("the resident's %s is in %s", what, place)
					}
				}
				if pinToken(tc.pin).Match(data) {
					t.Errorf("the PIN is in %s", place)
				}
			}
			if left := filesUnder(t, tmp); len(left) != 0 {
				t.Errorf("files left in TMPDIR: %d", len(left))
			}
			allowed := regexp.MustCompile(`^(journal|journal\.key|coins\.json|[A-Za-z0-9_-]{22}\.prn|[A-Za-z0-9_-]{22}-p[0-9]+\.png)$`)
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				if !allowed.MatchString(e.Name()) {
					t.Errorf("unexpected file in the output directory: %s", e.Name())
				}
			}
		})
	}
}

// scrapeMetrics reads the kiosk's /metrics page, at the address its log
// (stderr, JSON lines) says the endpoint listens on.
func scrapeMetrics(t *testing.T, log []byte) []byte {
	t.Helper()
	var addr string
	for _, line := range bytes.Split(log, []byte("\n")) {
		var l struct{ Msg, Addr string }
		if json.Unmarshal(line, &l) == nil && l.Msg == "metrics endpoint listening" {
			addr = l.Addr
		}
	}
	if addr == "" {
		t.Fatalf("the log does not say where /metrics listens:\n%s", log)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("kofu_kiosk_sessions_total")) {
		t.Fatalf("/metrics: %s %v\n%.300s", resp.Status, err, body)
	}
	return body
}

// unusedPIN is a 4-digit PIN that no test resident has, that the binary
// holds nowhere as a token (so finding it in memory means the kiosk kept
// the copy it was given), and that cannot be a runtime source line number
// in a goroutine dump.
func unusedPIN(t *testing.T, fx *fixtures.Set, bin string) string {
	t.Helper()
	used := map[string]bool{}
	for _, r := range fx.Curated() {
		used[r.PIN] = true
	}
	raw, err := os.ReadFile("../../testdata/residents/residents.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"pin":\s*"([0-9]+)"`).FindAllSubmatch(raw, -1) {
		used[string(m[1])] = true
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for n := 9871; n < 10000; n++ {
		pin := strconv.Itoa(n)
		if !used[pin] && !bytes.Contains(raw, []byte(pin)) && !containsToken(exe, []byte(pin)) {
			return pin
		}
	}
	t.Fatal("no unused PIN")
	return ""
}

// pinToken matches pin as a whole token: not inside a longer run of
// letters or digits (a hex address or a base64 identifier).
func pinToken(pin string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(pin) + `([^0-9A-Za-z]|$)`)
}

// idleKiosk is a kiosk child whose stdout is a pipe filled to the brim
// before it starts: its one JSON line blocks, so once the transaction is
// over the process waits, alive, with everything it still holds.
type idleKiosk struct {
	cmd    *exec.Cmd
	r      *os.File
	stderr bytes.Buffer
	done   chan struct{}
	rest   []byte
}

func startIdleKiosk(t *testing.T, bin, work, tmp string, args []string) *idleKiosk {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Shrink the pipe to one page and fill it.
	size, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), 1031 /* F_SETPIPE_SZ */, 4096)
	if errno != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", errno)
	}
	if _, err := w.Write(bytes.Repeat([]byte{'#'}, int(size))); err != nil {
		t.Fatal(err)
	}
	k := &idleKiosk{r: r, done: make(chan struct{})}
	k.cmd = exec.Command(bin, args...)
	k.cmd.Dir = work
	k.cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GOTRACEBACK=all")
	k.cmd.Stdout, k.cmd.Stderr = w, &k.stderr
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() { k.cmd.Wait(); close(k.done) }()
	return k
}

// waitIdle waits until one of the process's threads is blocked in
// write(2) on its stdout.
func (k *idleKiosk) waitIdle(limit time.Duration) error {
	deadline := time.Now().Add(limit) // a deadline for polling: elapsed time only
	for time.Now().Before(deadline) {
		select {
		case <-k.done:
			return fmt.Errorf("the kiosk exited before its output: %v", k.cmd.ProcessState)
		default:
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", k.cmd.Process.Pid))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && bytes.HasPrefix(b, []byte("1 0x1 ")) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the kiosk did not reach its output in %v", limit)
}

// stdout drains what the kiosk wrote after the filler.
func (k *idleKiosk) stdout() []byte {
	if k.rest == nil {
		b, _ := io.ReadAll(k.r)
		k.rest = bytes.TrimLeft(b, "#")
	}
	return k.rest
}

func (k *idleKiosk) wait() {
	go k.stdout() // let a blocked write through, if the process still runs
	select {
	case <-k.done:
	case <-time.After(time.Minute):
		k.cmd.Process.Kill()
		<-k.done
	}
}

func (k *idleKiosk) kill() {
	select {
	case <-k.done:
	default:
		k.cmd.Process.Kill()
		<-k.done
	}
	k.r.Close()
}

// memHit is one place a pattern was found in the process's memory.
type memHit struct {
	addr    uint64
	mapping string
	context []byte
	token   bool // not inside a longer run of letters or digits
}

func (h memHit) String() string {
	return fmt.Sprintf("%#x in %s: %s", h.addr, h.mapping, hex.EncodeToString(h.context))
}

type memScan struct {
	hits    [][]memHit // per pattern
	bytes   int64
	regions int
}

// scanMemory reads every readable mapping of pid through /proc/PID/mem
// and finds each pattern, leaving out the argv and environment strings
// (arg_start…env_end in /proc/PID/stat).
func scanMemory(pid int, patterns ...[]byte) (*memScan, error) {
	argLo, argHi, err := argvRange(pid)
	if err != nil {
		return nil, err
	}
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer maps.Close()
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	s := &memScan{hits: make([][]memHit, len(patterns))}
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[1][0] != 'r' {
			continue
		}
		name := ""
		if len(f) >= 6 {
			name = f[5]
		}
		if name == "[vvar]" || name == "[vsyscall]" || name == "[vvar_vclock]" {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("maps line %q", sc.Text())
		}
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start))
		buf = buf[:n]
		s.bytes += int64(n)
		s.regions++
		for i, p := range patterns {
			for off := 0; ; {
				j := bytes.Index(buf[off:], p)
				if j < 0 {
					break
				}
				at := off + j
				off = at + 1
				addr := start + uint64(at)
				if addr < argHi && addr+uint64(len(p)) > argLo {
					continue
				}
				h := memHit{addr: addr, mapping: name, context: buf[max(0, at-16):min(len(buf), at+len(p)+16)],
					token: isToken(buf, at, len(p))}
				s.hits[i] = append(s.hits[i], h)
			}
		}
	}
	return s, sc.Err()
}

// containsToken reports whether p occurs in b outside a longer run of
// letters or digits.
func containsToken(b, p []byte) bool {
	for off := 0; ; {
		j := bytes.Index(b[off:], p)
		if j < 0 {
			return false
		}
		at := off + j
		if isToken(b, at, len(p)) {
			return true
		}
		off = at + 1
	}
}

// isToken: the n bytes at b[at:] have no letter or digit on either side.
func isToken(b []byte, at, n int) bool {
	return (at == 0 || !alnum(b[at-1])) && (at+n == len(b) || !alnum(b[at+n]))
}

func alnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// argvRange is the process's argument and environment strings, from
// fields 48 (arg_start) to 51 (env_end) of /proc/PID/stat.
func argvRange(pid int) (lo, hi uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	lo, err1 := strconv.ParseUint(f[48-3], 10, 64)
	hi, err2 := strconv.ParseUint(f[51-3], 10, 64)
	if err1 != nil || err2 != nil || lo == 0 || hi <= lo {
		return 0, 0, fmt.Errorf("no argv range in /proc/%d/stat", pid)
	}
	return lo, hi, nil
}

// filesUnder returns every regular file under dir by its path.
func filesUnder(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil {
				files[p] = b
			}
		}
		return nil
	})
	return files
}

// documentMagic names the document format b starts with, if any.
func documentMagic(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(b, []byte("RaS2")):
		return "PWG Raster"
	case bytes.HasPrefix(b, []byte("\x1b%-12345X")), bytes.HasPrefix(b, []byte("@PJL")):
		return "PJL"
	case bytes.HasPrefix(b, []byte("\x1bE")), bytes.Contains(b, []byte("\x1b*r")):
		return "PCL"
	}
	return ""
}
