package diag

import (
	"context"

	"kofu/terminal/uikit"
)

// Login checks a technician's credential — the ID and PIN typed at the
// login screen — and returns the ID to journal actions under, or an
// error saying why not. It blocks (a slow hash) and runs off the event
// loop.
type Login func(ctx context.Context, id, pin string) (string, error)

// loginTries is how many wrong credentials end kiosk diag.
const loginTries = 3

// loginView asks for the technician's ID, then the PIN, on the prompt
// row; it shows why the last try failed.
type loginView struct {
	p    *pane
	why  string
	left int
}

func newLoginView() *loginView { return &loginView{p: newPane(false), left: loginTries} }

func (v *loginView) name() string { return "Technician login" }
func (v *loginView) pane() *pane  { return v.p }

func (v *loginView) bindings() []binding {
	return []binding{{Keys: []key{kk(uikit.CtrlC)}, Label: "Ctrl-C", Does: "quit", Act: actQuitNow, Keymap: true}}
}

func (v *loginView) draw(checking bool) {
	var d doc
	d.text("", "Type your technician ID, Enter, then your PIN, Enter. Every action that changes something here (a test page, an outbox send, an export) is journaled with your ID.")
	d.text(tagDim, "IDs and PIN hashes are in [[technician.account]] of this kiosk's configuration (kiosk diag --hash-pin makes a hash).")
	d.blank()
	switch {
	case checking:
		d.text(tagDim, "checking…")
	case v.why != "":
		d.text(tagFail, v.why)
	}
	v.p.set(d.lines)
}
