package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/pages"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// TestHouseholdMembersTmux (issue 17, 世帯の一部（任意の方）): the real
// binary in a 100×32 tmux pane, R0001 (a household of four) asks for a
// 住民票 of some members: the scope on the options screen, the PIN once,
// then the household on its own screen, two of four ticked by their
// number keys, the names in the summary before paying, printed. The page
// that came out of the emulated printer is, wherever the document's
// content is, bit for bit the page of exactly those two members (the
// serial, the as-of time and the QR symbol are this session's own and
// are left out of the comparison).
func TestHouseholdMembersTmux(t *testing.T) {
	bin := buildKiosk(t)
	tmux := needTmux(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	args := fmt.Sprintf("run --emulator --resident R0001 %s --out %s", testclock.Flag(t), out)
	shell := fmt.Sprintf("%s %s 2>%s; echo kiosk-exited $?; sleep 600", bin, args, filepath.Join(dir, "stderr"))
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "100", "-y", "32", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.close() })
	waitScreen(t, p.capture, 30*time.Second, "カード置き場に置いてください", "R0001")

	for _, st := range []step{
		{[]string{"C"}, []string{"取得する証明書を選んでください"}},
		{[]string{"1"}, []string{"記載範囲", "本人のみ"}},
		{[]string{"1", "1"}, []string{"◀ 世帯の一部（任意の方） ▶"}},
		{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}},
		{[]string{"1234", "Enter"}, []string{"住民票に記載する方を選んでください。", "1 [ ] 山田 太郎 世帯主（ご本人）",
			"2 [ ] 山田 花子 妻", "3 [ ] 山田 翔太 子", "4 [ ] 山田 さくら 子", "<1-4> 選ぶ・外す", "<Enter> 次へ"}},
		{[]string{"Enter"}, []string{"記載する方を1人以上選んでください。"}},
		{[]string{"1", "3"}, []string{"1 [●] 山田 太郎", "3 [●] 山田 翔太", "2人を選んでいます。"}},
		{[]string{"Enter"}, []string{"ご請求の内容をご確認ください。", "記載範囲：世帯の一部（任意の方）", "記載する方 山田 太郎、山田 翔太", "手数料　250円"}},
		{[]string{"3", "3", "2", "Enter"}, []string{"証明書の印刷が完了しました。", "料金 250円 をいただきました。"}},
	} {
		p.send(st.keys...)
		s := waitScreen(t, p.capture, 20*time.Second, st.see...)
		if strings.Contains(s, "山田 花子、") || strings.Contains(s, "、山田 さくら") {
			t.Fatalf("an unchosen member in the summary:\n%s", s)
		}
	}
	p.send("C")
	waitScreen(t, p.capture, 20*time.Second, "カード置き場に置いてください")
	if s := p.capture(); strings.Contains(s, "山田") {
		t.Fatalf("a name left on the welcome screen:\n%s", s)
	}

	pngs, _ := filepath.Glob(filepath.Join(out, "*-p*.png"))
	if len(pngs) != 1 {
		t.Fatalf("pages written: %v", pngs)
	}
	printed := readBitmap(t, pngs[0])
	for _, path := range []string{filepath.Join(out, "journal"), filepath.Join(dir, "stderr")} {
		if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte("山田")) || bytes.Contains(b, []byte("翔太")) {
			t.Errorf("%s holds a name (or cannot be read: %v)", path, err)
		}
	}

	// The page of exactly 太郎 and 翔太, as the emulated center renders it
	// in-process for the same choice.
	want := membersPage(t, []int{0, 2})
	other := membersPage(t, []int{0, 1})
	if n := sameContent(t, printed, want); n < 0 {
		t.Error("the printed page is not the page of the two members chosen")
	} else if n < 1000 {
		t.Errorf("only %d rows compared", n)
	}
	if sameContent(t, printed, other) >= 0 {
		t.Error("the printed page also matches the page of another choice: the comparison tells nothing")
	}
}

// pagePair is a page as rendered, and the same page with this session's
// own fields (serial, as-of, QR symbol) changed: the rows where the two
// differ are not the document's content.
type pagePair struct{ a, b *pages.Bitmap }

// membersPage runs R0001's 住民票 of the members at places through an
// in-process emulated world and renders what its center drew, twice.
func membersPage(t *testing.T, places []int) pagePair {
	t.Helper()
	env, err := emulator.Start(context.Background(), emulator.Options{Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	res, _ := env.Fixtures.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	doc.Opts["scope"] = protocol.ScopeMembers
	j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), bytes.Repeat([]byte{3}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	coins := payment.NewCoins()
	ap := terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(res.PIN), coins)
	ap.Chosen = places
	r := env.Kiosk(countSink{}, coins, j).Serve(context.Background(), emulator.NewSoftCard(res), ap)
	if r.Outcome != protocol.ResultPrinted {
		t.Fatalf("reference session: %s/%s", r.Outcome, r.Reason)
	}
	tid, _ := protocol.B64Decode(r.TID)
	specs, ok := env.Center.Center.Rendered(tid)
	if !ok || len(specs) != 1 {
		t.Fatalf("reference: %d specs", len(specs))
	}
	ttf, err := env.Fixtures.FontTTF()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := pages.NewRenderer(ttf)
	if err != nil {
		t.Fatal(err)
	}
	render := func(s pages.Spec) *pages.Bitmap {
		img, err := rr.Render(s)
		if err != nil {
			t.Fatal(err)
		}
		return pages.Binarize(img)
	}
	b := specs[0]
	b.Serial, b.AsOf = "000000-9999999999", "1999年01月01日 00:00"
	q, err := protocol.ParseQRText(b.QRText)
	if err != nil {
		t.Fatal(err)
	}
	q.TID = bytes.Repeat([]byte{0xee}, protocol.TIDSize)
	q.Binding, q.Subject = bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	b.QRText = q.String()
	return pagePair{a: render(specs[0]), b: render(b)}
}

// sameContent compares printed with ref.a on every row where ref.a and
// ref.b agree (the document's content); it returns how many rows it
// compared, or -1 at the first row that differs.
func sameContent(t *testing.T, printed *pages.Bitmap, ref pagePair) int {
	t.Helper()
	if printed.W != ref.a.W || printed.H != ref.a.H {
		t.Fatalf("printed %dx%d, reference %dx%d", printed.W, printed.H, ref.a.W, ref.a.H)
	}
	n := 0
	for y := range ref.a.H {
		ra, rb, rp := ref.a.Row(y), ref.b.Row(y), printed.Row(y)
		if !bytes.Equal(ra, rb) {
			continue
		}
		if !bytes.Equal(ra, rp) {
			return -1
		}
		n++
	}
	return n
}

// readBitmap decodes a page the emulated printer wrote.
func readBitmap(t *testing.T, path string) *pages.Bitmap {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return pages.Binarize(g)
}

// countSink confirms every page and keeps nothing.
type countSink struct{}

func (countSink) ID() protocol.PrinterID { return protocol.PrinterID{MFG: "t", MDL: "count", SN: "1"} }
func (countSink) Print(ctx context.Context, _ []byte, vp []*protocol.VerifiedPage) (int, error) {
	return len(vp), ctx.Err()
}

// TestHouseholdOnV1CenterTmux: against a center built from DESIGN §3
// alone (--center-v1-only: no POST /v1/household), a resident who chose
// 世帯の一部 is told, after the PIN, that it is not available here and
// which scopes to choose instead; no fee, the session journaled failed
// with household-unsupported. The same center still prints 本人のみ.
func TestHouseholdOnV1CenterTmux(t *testing.T) {
	k := startKiosk17(t, 80, 24, []string{"カード置き場に置いてください", "<C> カードを置く"}, "--center-v1-only", "--resident R0001")
	k.walk(
		step{[]string{"C"}, []string{"取得する証明書を選んでください"}},
		step{[]string{"1", "1", "1"}, []string{"世帯の一部（任意の方）", "暗証番号の入力後に、記載する方を選びます"}},
		step{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}},
		step{[]string{"1234", "Enter"}, []string{"「世帯の一部（任意の方）」の指定は、現在この端末ではご利用いただけません。",
			"「世帯全員」または「本人のみ」を選んでください。", "料金はいただいていません。", "▶▶ カードをお取りください ◀◀"}},
	)
	ends := k.ends()
	if len(ends) != 1 || ends[0].State != "failed" || ends[0].Reason != "household-unsupported" {
		t.Fatalf("journal ends %+v; want failed/household-unsupported", ends)
	}
	k.send("C")
	waitScreen(t, k.capture, 20*time.Second, "✓ カードが取り出されました")
	k.send("Enter")
	k.walk(
		step{[]string{"C"}, []string{"取得する証明書を選んでください"}},
		step{[]string{"1"}, []string{"記載範囲"}},
		step{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}},
		step{[]string{"1234", "Enter"}, []string{"手数料　250円"}},
		step{[]string{"3", "3", "3", "Enter"}, []string{"証明書の印刷が完了しました。"}},
	)
}
