package pjl

import (
	"reflect"
	"testing"
)

// FuzzReadback: the parser never panics, keeps a bounded buffer, gives the
// same messages however the stream is split, and a Tracker fed garbage
// never calls a job printed without its ECHO and END.
func FuzzReadback(f *testing.F) {
	f.Add([]byte(echoMsg+readyMsg+startMsg+endMsg), uint16(7))
	f.Add([]byte("junk\x00@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-previous\"\r\n"+echoMsg+endMsg), uint16(40))
	f.Add([]byte("@PJL USTATUS DEVICE\nCODE=41101\n\f@PJL INFO STATUS\r\nCODE=10001\r\n\f"), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		var whole Parser
		all := whole.Feed(data)
		if len(whole.buf) > MaxMessage+len(data) {
			t.Fatalf("buffer grew to %d", len(whole.buf))
		}
		c := int(cut) % (len(data) + 1)
		var split Parser
		parts := append(split.Feed(data[:c]), split.Feed(data[c:])...)
		if !reflect.DeepEqual(all, parts) {
			t.Fatalf("split at %d changes the messages:\n%+v\n%+v", c, all, parts)
		}
		tr := NewTracker(testJob, 2)
		sawEcho, sawEnd := false, false
		for _, m := range all {
			v := tr.Observe(m)
			if m.Kind == KindEcho && m.Text == testJob.Echo {
				sawEcho = true
			}
			if m.Kind == KindUStatus && m.Fields["NAME"] == testJob.Name && m.Has("END") {
				sawEnd = true
			}
			if v.State == Printed && !(sawEcho && sawEnd && v.Fault == nil && v.Pages >= 2) {
				t.Fatalf("printed without echo/end/pages: %+v", v)
			}
		}
	})
}
