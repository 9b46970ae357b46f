package diag

// helpView lists every binding of the screen it was opened on, from the
// very tables the dispatch reads.
type helpView struct{ p *pane }

func newHelp() *helpView { return &helpView{p: newPane(false)} }

func (v *helpView) name() string { return "Help" }
func (v *helpView) pane() *pane  { return v.p }

func (v *helpView) bindings() []binding {
	return append([]binding{escBinding("close the help")}, scrollBindings()...)
}

// show lists the bindings of screen (its own table, then the global one).
func (v *helpView) show(screen string, own, global []binding) {
	var d doc
	d.section("Keys of the " + screen + " screen")
	helpLines(&d, own)
	d.section("Keys on every screen")
	helpLines(&d, global)
	d.section("Commands (after :)")
	for _, c := range commandHelp() {
		d.add(line{row: true, lead: []seg{{tagKey, padRight(":"+c[0], 18)}}, body: []seg{{"", c[1]}}})
	}
	v.p.top = 0
	v.p.set(d.lines)
}

func helpLines(d *doc, bs []binding) {
	for _, b := range bs {
		d.add(line{row: true, lead: []seg{{tagKey, padRight(b.Label, 18)}}, body: []seg{{"", b.Does}}})
	}
}

// padRight pads s with spaces to n cells.
func padRight(s string, n int) string {
	for w := cells(s); w < n; w++ {
		s += " "
	}
	return s
}
