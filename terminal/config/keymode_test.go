package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCheckKeyModes: a key file must give nothing to "other", and its
// group something only when that group is the service's. Real files in a
// temp dir, real modes; the service's groups are given, so the file's own
// group (this process's) is the service's in one run and a stranger's in
// the other.
func TestCheckKeyModes(t *testing.T) {
	dir := t.TempDir()
	egid := os.Getegid()
	// The named group of a finding, whose name depends on the machine.
	regexpGroup := regexp.MustCompile(`by group [^,]*, not the service's group kofu`)
	for _, tc := range []struct {
		mode os.FileMode
		// the finding ("" = none) when the file's group is the service's,
		// and when it is not
		service, stranger string
	}{
		{0o600, "", ""},
		{0o400, "", ""},
		{0o640, "", "readable by group"},
		{0o440, "", "readable by group"},
		{0o660, "", "readable, writable by group"},
		{0o620, "", "writable by group"},
		{0o644, "readable by others", "readable by others and readable by group"},
		{0o604, "readable by others", "readable by others"},
		{0o602, "writable by others", "writable by others"},
		{0o601, "executable by others", "executable by others"},
		{0o666, "readable, writable by others", "readable, writable by others and readable, writable by group"},
	} {
		path := filepath.Join(dir, "journal.key")
		if err := os.WriteFile(path, []byte("0123456789abcdef"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil { // exact bits, whatever the umask
			t.Fatal(err)
		}
		c := &Config{Journal: Journal{Key: path}}
		for _, g := range []struct {
			name   string
			groups map[int]string
			want   string
		}{
			{"service group", map[int]string{egid: ""}, tc.service},
			{"another group", map[int]string{egid + 4242: ServiceGroup}, tc.stranger},
		} {
			t.Run(tc.mode.String()+" "+g.name, func(t *testing.T) {
				err := c.checkKeyModes(g.groups)
				if g.want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				var ke *KeyModeError
				if !errors.As(err, &ke) {
					t.Fatalf("err %v, want a *KeyModeError", err)
				}
				if ke.Key != "journal.key" || ke.Path != path || ke.Mode != tc.mode || ke.GID != egid {
					t.Errorf("finding %+v", ke)
				}
				// "by group G (gid), not the service's group kofu": the
				// group's name depends on the machine.
				why := regexpGroup.ReplaceAllString(ke.Why, "by group")
				if why != "it is "+g.want {
					t.Errorf("why %q, want %q", ke.Why, g.want)
				}
				wantFix := "chmod 0640 " + path
				if g.name == "another group" {
					wantFix += " && chown root:kofu " + path
				}
				if ke.Fix != wantFix {
					t.Errorf("fix %q, want %q", ke.Fix, wantFix)
				}
				if !strings.Contains(err.Error(), "fix: "+wantFix) {
					t.Errorf("message lacks the fix: %v", err)
				}
			})
		}
	}
}

// TestCheckKeyModesConfig: both keys are checked, each finding names its
// key; a missing file is LoadTrust's to report; CheckKeyModes takes this
// process's group as the service's, and (as root) refuses a file of a
// stranger's group.
func TestCheckKeyModesConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("secret material!"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	term, jkey := write("terminal.key", 0o644), write("journal.key", 0o604)
	c := &Config{Terminal: Terminal{Key: term}, Journal: Journal{Key: jkey}}
	err := c.CheckKeyModes()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("0644 and 0604 keys: %v, want two findings", err)
	}
	var keys []string
	for _, e := range joined.Unwrap() {
		var ke *KeyModeError
		if !errors.As(e, &ke) {
			t.Fatalf("%T %v", e, e)
		}
		keys = append(keys, ke.Key)
	}
	if strings.Join(keys, ",") != "terminal.key,journal.key" {
		t.Errorf("findings for %v", keys)
	}
	for _, p := range []string{term, jkey} {
		if err := os.Chmod(p, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CheckKeyModes(); err != nil {
		t.Errorf("0640 in this process's group: %v", err)
	}
	if err := (&Config{Terminal: Terminal{Key: filepath.Join(dir, "absent")}}).CheckKeyModes(); err != nil {
		t.Errorf("missing file: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the chown case is covered by TestCheckKeyModes only")
		return
	}
	const stranger = 54321 // no such group on a test machine, and not kofu's
	if err := os.Chown(jkey, 0, stranger); err != nil {
		t.Fatal(err)
	}
	var ke *KeyModeError
	if err := c.CheckKeyModes(); !errors.As(err, &ke) || ke.Key != "journal.key" || ke.GID != stranger ||
		!strings.Contains(err.Error(), "by group 54321, not the service's group kofu") {
		t.Errorf("0640 in a stranger's group: %v", err)
	}
	if err := os.Chmod(jkey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckKeyModes(); err != nil {
		t.Errorf("0600 in a stranger's group: %v", err)
	}
}
