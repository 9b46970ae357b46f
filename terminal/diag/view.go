package diag

// view is one screen of the technician UI. Views only show: the
// controller (Diag) asks the Backend off the event loop, hands them what
// it got, and carries out what their key table's bindings name. Their
// methods run on the event loop.
type view interface {
	// name is the screen's tab and title.
	name() string
	// pane is what the screen draws into.
	pane() *pane
	// bindings is the screen's key table: its keymap line, its help and
	// its dispatch (the global table follows it).
	bindings() []binding
}
