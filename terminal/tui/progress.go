package tui

import (
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal"
)

// progressView shows what the session is doing while the resident waits:
// reading the card, waiting for the center, verifying, printing page k of
// n. It takes no keys but the language.
type progressView struct {
	tv   *tview.TextView
	p    terminal.Progress
	wait bool // between screens: "please wait"
	spin int
}

func newProgress() *progressView { return &progressView{tv: newBody()} }

func (v *progressView) name() string               { return "progress" }
func (v *progressView) primitive() tview.Primitive { return v.tv }
func (v *progressView) tick()                      { v.spin++ }
func (v *progressView) reset()                     { v.p, v.wait, v.spin = terminal.Progress{}, false, 0 }

func (v *progressView) show(p terminal.Progress) { v.p, v.wait = p, false }
func (v *progressView) pause()                   { v.wait = true }

// bindings is the progress screen's key table, empty: while the session
// reads the card, waits for the center or prints, nothing the resident
// presses may change what it does (the card key and the language key,
// which work here too, are the frame's).
func (v *progressView) bindings() []binding { return nil }

func (v *progressView) hints(Locale) []hint { return hintsOf(v.bindings()) }
func (v *progressView) handle(k key)        { dispatch(k, v.bindings()) }

func (v *progressView) step() step {
	switch v.p.State {
	case terminal.StateCard:
		return stepCard
	case terminal.StateChoose:
		return stepChoose
	case terminal.StatePIN, terminal.StateSubmit:
		return stepPIN
	case terminal.StateFee:
		return stepPay
	case terminal.StateFetch, terminal.StatePrint, terminal.StateSettle:
		return stepPrint
	}
	return stepNone
}

func (v *progressView) title(l Locale) string {
	if v.p.Stopped != "" {
		return esc(T("印刷を中止しました", "Printing stopped").In(l))
	}
	if v.p.State == terminal.StatePrint {
		return esc(T("印刷中", "Printing").In(l))
	}
	return esc(T("お待ちください", "Please wait").In(l))
}

// what says what is happening in state s.
func (v *progressView) what() Text {
	if v.wait {
		return T("お待ちください…", "Please wait…")
	}
	switch v.p.State {
	case terminal.StateCard:
		return T("カードを読み取っています。カードを動かさないでください。", "Reading your card. Please do not move it.")
	case terminal.StateSubmit:
		return T("申請を送信し、交付センターの応答を待っています。", "Sending your request and waiting for the issuance center.")
	case terminal.StateFetch:
		return T("証明書を受け取り、ご本人の申請どおりの証明書であることを確認しています。",
			"Receiving the certificate and verifying that it is exactly the one you asked for.")
	case terminal.StatePrint:
		return T("証明書を印刷しています。", "Printing your certificate.")
	}
	return T("お待ちください…", "Please wait…")
}

func (v *progressView) render(l Locale) {
	if v.p.Stopped != "" {
		v.renderStopped(l)
		return
	}
	var b strings.Builder
	spinner := []string{"◐", "◓", "◑", "◒"}
	b.WriteString(tagTitle + spinner[v.spin%len(spinner)] + " " + esc(v.what().In(l)) + tagOff + "\n\n")
	if v.p.State == terminal.StatePrint && v.p.Pages > 0 {
		k := min(max(v.p.Page, 1), v.p.Pages)
		b.WriteString(tagOK + esc(Tf("%dページ目を印刷しています（全%dページ）", "Printing page %d of %d", k, v.p.Pages).In(l)) + tagOff + "\n\n")
	}
	if !v.wait && v.step() >= stepPIN {
		b.WriteString(tagWarn + esc(T("この場を離れないでください。印刷まで2分以上かかることがあります。",
			"Please stay at the machine. Printing can take more than two minutes.").In(l)) + tagOff + "\n")
	}
	if !v.wait && v.p.State != terminal.StateCard {
		b.WriteString(esc(T("カードは取り外さないでください。", "Do not remove your card.").In(l)) + "\n")
	}
	v.tv.SetText(b.String())
}

// renderStopped says, the moment a print job ends short, why (用紙切れ,
// 紙づまり …) and what to do with the pages that came out, while the
// session settles; the finish screen says it again with the fee.
func (v *progressView) renderStopped(l Locale) {
	var w words
	if f := printerFaultOf(v.p.Stopped); f != faultNone {
		faultStop(f, v.p.Page, &w)
	} else {
		w.Title = T("印刷が完了したか確認できませんでした。", "We could not confirm that printing finished.")
		w.Do = T("出てきた用紙をお取りのうえ、店員にお知らせください。", "Please take any paper that came out and tell the store staff.")
	}
	var b strings.Builder
	b.WriteString(tagError + esc(w.Title.In(l)) + tagOff + "\n\n")
	for _, t := range []Text{w.What, w.Do} {
		if !t.Empty() {
			b.WriteString(esc(t.In(l)) + "\n")
		}
	}
	b.WriteString("\n" + tagDim + esc(T("お待ちください…", "Please wait…").In(l)) + tagOff + "\n")
	v.tv.SetText(b.String())
}
