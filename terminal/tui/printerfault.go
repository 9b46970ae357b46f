package tui

import (
	"fmt"

	"kofu/terminal"
)

// printerFault is a printer fault as a session's print reason names it
// ("print-paper-out", …: the printer's error kind after the stage).
type printerFault int

const (
	faultNone      printerFault = iota
	faultPaperOut               // print-paper-out
	faultJam                    // print-jam
	faultCoverOpen              // print-cover-open
	faultStopped                // print-offline, print-hardware: the printer stopped or vanished
)

// printerFaultOf reads a session's reason; faultNone for every reason
// that is not a printer fault (unconfirmed, timeout, a refusal …).
func printerFaultOf(reason terminal.Reason) printerFault {
	if reason.Class() != terminal.ClassPrinter {
		return faultNone
	}
	switch reason.Detail() {
	case "paper-out":
		return faultPaperOut
	case "jam":
		return faultJam
	case "cover-open":
		return faultCoverOpen
	case "offline", "hardware":
		return faultStopped
	}
	return faultNone
}

// printedPages is the pages that came out: "the page that was printed" /
// "the 2 pages that were printed" in English (no "page(s)"), the count
// with its unit in the other languages (pageCount).
type printedPages int

func (n printedPages) in(l Locale) string {
	if l.Lang != English {
		return pageCount(n).in(l)
	}
	if n == 1 {
		return "the page that was printed"
	}
	return fmt.Sprintf("the %d pages that were printed", n)
}

func (n printedPages) String() string { return n.in(Locale{}) }

// faultStop fills w for a session whose job the printer stopped (outcome
// unknown: job bytes reached the printer). out is how many pages the
// printer reported out before it stopped; they are the resident's and
// must not stay in the tray. The fee line (feeWords) says what was paid:
// a job that did not finish is never charged.
func faultStop(f printerFault, out int, w *words) {
	w.Staff = true
	callStaff := T("店員をお呼びください。", "Please call a member of the store staff.")
	take, rest := Text{}, Text{}
	if out > 0 {
		take = Tf("印刷された%sをお取りください。", "Please take %s.", printedPages(out))
		rest = T("残りのページは印刷されていません。", "The rest of the certificate was not printed.")
		w.Paper = Tf("印刷された%sをお取りください", "Please take %s", printedPages(out))
	}
	switch f {
	case faultPaperOut:
		w.Title = T("用紙切れのため、印刷を中止しました。", "Printing stopped: the printer is out of paper.")
		if out > 0 {
			w.What = Cat(T("プリンターの用紙がなくなりました。", "The printer ran out of paper."), take, rest)
		} else {
			w.What = T("プリンターの用紙がなくなったため、証明書を印刷できませんでした。",
				"The printer ran out of paper, so your certificate could not be printed.")
		}
		w.Do = Cat(callStaff, T("用紙が補充されたあと、最初からやり直すことができます。", "Once paper is loaded, you can start again."))
	case faultJam:
		w.Title = T("紙づまりのため、印刷を中止しました。", "Printing stopped: paper jam.")
		jammed := T("詰まった用紙は店員が取り除きますので、そのままにしてください。",
			"Please leave the jammed paper; the store staff will remove it.")
		if out > 0 {
			w.What = Cat(T("プリンターの中で用紙が詰まりました。", "Paper jammed inside the printer."), take, rest, jammed)
		} else {
			w.What = Cat(T("プリンターの中で用紙が詰まったため、証明書を印刷できませんでした。",
				"Paper jammed inside the printer, so your certificate could not be printed."), jammed)
		}
		w.Do = callStaff
	case faultCoverOpen:
		w.Title = T("プリンターのカバーが開いています。印刷を中止しました。", "The printer's cover is open. Printing stopped.")
		if out > 0 {
			w.What = Cat(T("印刷の途中でプリンターのカバーが開きました。", "The printer's cover was opened while printing."), take, rest)
		} else {
			w.What = T("プリンターのカバーが開いているため、証明書を印刷できませんでした。",
				"The printer's cover is open, so your certificate could not be printed.")
		}
		w.Do = callStaff
	default: // faultStopped: the printer cannot say what came out
		w.Title = T("プリンターが停止したため、印刷を中止しました。", "Printing stopped: the printer stopped working.")
		w.What = T("印刷の途中でプリンターが応答しなくなりました。出てきた用紙があればお取りください。",
			"The printer stopped responding while printing. Please take any paper that came out.")
		w.Paper = T("出てきた用紙をお取りください", "Please take any paper that came out")
		w.Do = callStaff
	}
}

// faultBeforePrint fills w for a session that ended failed because the
// printer could not take the job (its preflight): nothing was sent.
func faultBeforePrint(f printerFault, w *words) {
	w.Staff = true
	notPrinted := T("証明書は印刷していません。", "Nothing was printed.")
	callStaff := T("店員をお呼びください。", "Please call a member of the store staff.")
	switch f {
	case faultPaperOut:
		w.Title = T("用紙切れのため、印刷できませんでした。", "The printer is out of paper.")
		w.What = Cat(T("プリンターの用紙がなくなっています。", "The printer has no paper."), notPrinted)
		w.Do = Cat(callStaff, T("用紙が補充されたあと、最初からやり直すことができます。", "Once paper is loaded, you can start again."))
	case faultJam:
		w.Title = T("紙づまりのため、印刷できませんでした。", "The printer has a paper jam.")
		w.What = Cat(T("プリンターの中で用紙が詰まっています。", "Paper is jammed inside the printer."), notPrinted)
		w.Do = callStaff
	case faultCoverOpen:
		w.Title = T("プリンターのカバーが開いています。", "The printer's cover is open.")
		w.What = Cat(T("カバーが開いているため、印刷できませんでした。", "Printing could not start."), notPrinted)
		w.Do = callStaff
	default:
		w.Title = T("プリンターが使えないため、印刷できませんでした。", "The printer is not available.")
		w.What = Cat(T("プリンターが応答しません。", "The printer is not responding."), notPrinted)
		w.Do = callStaff
	}
}
