package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReferenceTmux (issue 17, item 5; item 6's help desk on a refusal):
// the real binary in a 100×32 tmux pane, with ui.helpdesk configured and
// the emulated center sending a record that is not the resident's
// (wrong-record). The refusal shows the お問い合わせ番号 as twelve digits in
// groups of four, and tells the clerk whom to call with it. After a
// second session (cancelled at the document list), `kiosk journal show
// --ref` run by the binary finds the refused session, and only it, by
// the number as shown, read out with spaces, in full-width digits, by
// its first 8 or 4 digits; a number of no session is not found, and 3
// digits are refused.
func TestReferenceTmux(t *testing.T) {
	cfg := testConfig(t, "laptop", "[ui]\nhelpdesk = \""+helpdesk17+"\"\n")
	k := startKiosk17(t, 100, 32, []string{"カード置き場に置いてください", "<C> カードを置く"},
		"--config", cfg, "--resident R0001", "--fault wrong-record")
	s := k.walk(
		step{[]string{"C"}, []string{"取得する証明書を選んでください"}},
		step{[]string{"1"}, []string{"記載範囲"}},
		step{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}},
		step{[]string{"1234", "Enter"}, []string{"手数料　250円"}},
		step{[]string{"3", "3", "3", "Enter"}, []string{"この証明書は発行できませんでした。", "お問い合わせ番号：",
			"店員の方へ：" + helpdesk17 + "にお問い合わせ番号をお伝えください。"}},
	)
	m := regexp.MustCompile(`お問い合わせ番号：\s*(\S+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no reference on the screen:\n%s", s)
	}
	ref := m[1]
	if !regexp.MustCompile(`^\d{4}-\d{4}-\d{4}$`).MatchString(ref) {
		t.Fatalf("the reference %q is not 12 digits in groups of four (NNNN-NNNN-NNNN):\n%s", ref, s)
	}
	t.Logf("reference %s:\n%s", ref, s)
	k.walk(
		step{[]string{"C"}, []string{"✓ カードが取り出されました"}},
		step{[]string{"Enter"}, []string{"カード置き場に置いてください", "<C> カードを置く"}},
		step{[]string{"C"}, []string{"取得する証明書を選んでください"}},
		step{[]string{"Escape"}, []string{"▶▶ カードをお取りください ◀◀"}},
		step{[]string{"C"}, []string{"✓ カードが取り出されました"}},
		step{[]string{"Enter"}, []string{"カード置き場に置いてください", "<Q> 終了"}},
		step{[]string{"Q"}, []string{"kiosk-exited 0"}},
	)
	ends := k.ends()
	if len(ends) != 2 || ends[0].State != "refused" || !strings.HasPrefix(ends[0].Session, ref+".") ||
		strings.HasPrefix(ends[1].Session, ref+".") {
		t.Fatalf("journal ends %+v; want the refused session %s, then another", ends, ref)
	}
	other := ends[1].Session

	bin := buildKiosk(t)
	jpath := filepath.Join(k.out, "journal")
	show := func(typed string) (int, string) {
		t.Helper()
		var out bytes.Buffer
		c := exec.Command(bin, "journal", "show", "--journal", jpath, "--ref", typed)
		c.Stdout, c.Stderr = &out, &out
		done := make(chan error, 1)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- c.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			c.Process.Kill()
			t.Fatalf("kiosk journal show --ref %q hung", typed)
		}
		return c.ProcessState.ExitCode(), out.String()
	}
	fullWidth := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return '０' + r - '0'
		case r == '-':
			return '－'
		}
		return r
	}, ref)
	digits := strings.ReplaceAll(ref, "-", "")
	for _, typed := range []string{ref, strings.ReplaceAll(ref, "-", " "), digits, fullWidth, digits[:8], digits[:4]} {
		code, out := show(typed)
		if code != 0 {
			t.Fatalf("--ref %q: exit %d\n%s", typed, code, out)
		}
		var ours, end int
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) < 5:
				t.Fatalf("--ref %q: line %q", typed, line)
			case strings.HasPrefix(f[3], ref+"."):
				ours++
				if f[2] == "end" && f[4] == "refused" {
					end++
				}
			case f[3] == other && len(typed) >= 8:
				t.Fatalf("--ref %q lists the other session %s:\n%s", typed, other, out)
			case !strings.HasPrefix(strings.ReplaceAll(f[3], "-", ""), digits[:4]):
				t.Fatalf("--ref %q lists a session of another reference:\n%s", typed, out)
			}
		}
		if ours < 3 || end != 1 {
			t.Fatalf("--ref %q: %d records of session %s, %d refused end:\n%s", typed, ours, ref, end, out)
		}
	}
	// A number of no session: the first digit changed.
	none := string('0'+(digits[0]-'0'+1)%10) + digits[1:]
	if code, out := show(none); code != 1 || !strings.Contains(out, "no session with reference") {
		t.Fatalf("--ref %s (no such session): exit %d\n%s", none, code, out)
	}
	if code, out := show(digits[:3]); code != 2 || !strings.Contains(out, "at least 4 digits") {
		t.Fatalf("--ref %s (3 digits): exit %d\n%s", digits[:3], code, out)
	}
}
