package tui

import (
	"kofu/protocol"
	"kofu/terminal"
)

// level is how an outcome is coloured.
type level int

const (
	levelOK level = iota
	levelNotice
	levelError
)

// words is what the finish screen says about a session's result, in plain
// words: what happened, what to do, and whether a fee was taken. Reason
// codes never reach the screen.
type words struct {
	Title  Text
	What   Text // what happened
	Do     Text // what to do now
	Fee    Text // whether a fee was taken
	Level  level
	Hint   Text // what to check before trying again (the 本籍地 of a 戸籍 request)
	Hint2  Text // a second line to the hint: foreign nationals have no 戸籍
	Paper  Text // a reminder to take paper, when paper may be out
	Office bool // the resident is sent to the municipal office
	Staff  bool // the resident should tell the store staff
}

// seen is what the UI saw of a session that the result does not carry:
// the document asked for, and the resident's money — known when the coin
// unit is the UI's (Options.Coins), then the credit inserted on the
// payment screen. A payment device outside the UI is not known: the words
// then speak of change and refunds without an amount.
type seen struct {
	known    bool
	inserted int
	doc      protocol.DocType // "": none chosen
}

// explain turns a result into words for the resident; m is what the UI
// saw of the session.
func explain(r terminal.Result, m seen) words {
	w := words{Fee: feeWords(r, m), Level: levelError}
	switch r.Outcome {
	case protocol.ResultPrinted:
		w.Level = levelOK
		w.Title = T("証明書の印刷が完了しました。", "Your certificate has been printed.")
		w.What = Tf("%s印刷しました。", "%s printed.", pageCount(r.Pages))
		// The reminders below ask for the card and the certificate,
		// blinking, until they are taken: said once.
		w.Do = T("お忘れ物のないよう、ご注意ください。", "Please make sure you leave nothing behind.")
		w.Paper = T("証明書をお取りください", "Please take your certificate")
		return w
	case protocol.ResultRefused:
		w.Title = T("この証明書は発行できませんでした。", "This certificate could not be issued.")
		w.What = refusalWords(r.Reason)
		w.Do = T("くり返しお試しにならず、店員にお知らせください。証明書は市区町村の窓口でもお求めになれます。",
			"Please do not try again; tell the store staff. You can also get the certificate at your municipal office.")
		w.Staff = true
		return w
	case protocol.ResultUnknown:
		if f := printerFaultOf(r.Reason); f != faultNone {
			faultStop(f, r.Pages, &w) // the printer said why it stopped
			return w
		}
		w.Title = T("印刷が完了したか確認できませんでした。", "We could not confirm that printing finished.")
		w.What = T("印刷の途中で問題が起きました。", "A problem occurred while printing.")
		w.Do = T("出てきた用紙をお取りのうえ、店員にお知らせください。", "Please take any paper that came out and tell the store staff.")
		w.Paper = T("出てきた用紙をお取りください", "Please take any paper that came out")
		w.Staff = true
		return w
	case protocol.ResultCancelled:
		w.Level = levelNotice
	}
	failureWords(r.Reason, &w)
	if m.doc.FamilyRegister() && honsekiRefusal(r.Reason) {
		w.Hint, w.Hint2 = honsekiHint(), noKoseki()
	}
	return w
}

// honsekiRefusal reports whether the center's answer to a family register
// request may mean the request went to a municipality that is not the
// resident's 本籍地, or to one that does not issue 戸籍 at stores: no
// record there (not-eligible), no register or not now
// (document-unavailable), no store issuance (unknown-municipality).
func honsekiRefusal(reason terminal.Reason) bool {
	p, ok := reason.Problem()
	return ok && (p == protocol.ProbNotEligible || p == protocol.ProbDocumentUnavailable || p == protocol.ProbUnknownMunicipality)
}

// honsekiHint is what a resident refused a 戸籍 checks before trying
// again: a 戸籍 is issued by the 本籍地, which may differ from the 住所地,
// and not every 本籍地 issues 戸籍 at stores — some only after 利用登録.
func honsekiHint() Text {
	return T("戸籍の証明書は、本籍地の市区町村に請求します。選んだ請求先が本籍地であること、本籍地の市区町村が戸籍証明書のコンビニ交付を行っていることをご確認ください（事前に利用登録が必要な市区町村もあります）。",
		"Family register documents come from the municipality of your registered domicile (honseki). Please check that the municipality you chose is your registered domicile, and that it issues family register documents at stores (some require registering in advance).")
}

// noKoseki is said, on a line of its own, with the 本籍地 hint: a
// foreign resident has no 戸籍 at all (issue 17, item 12). Nothing the
// kiosk reads before the PIN tells it the resident's nationality, so
// the document list only notes it, and the refusal says it rather than
// sending them to look for a 本籍地.
func noKoseki() Text {
	return T("外国籍の方には戸籍がないため、戸籍の証明書は発行されません。",
		"Foreign nationals have no family register (koseki) in Japan, so these documents cannot be issued to them.")
}

// feeWords says whether the fee was taken, and whether coins beyond it
// could not be given back.
func feeWords(r terminal.Result, m seen) Text {
	w := paymentWords(r, m)
	if r.Refund == "return-failed" && r.Payment != "return-failed" {
		w = Cat(w, T("投入したお金の一部を返却できませんでした。店員にお知らせください。",
			"Some of the money you inserted could not be returned. Please tell the store staff."))
	}
	return w
}

// paymentWords says whether the fee was taken and, when the UI saw the
// money go in, the exact change or the exact amount given back (issue 17,
// item 11): "おつり 50円 をお取りください", nothing about change when there
// is none.
func paymentWords(r terminal.Result, m seen) Text {
	refunded := r.Refund != "return-failed" // the rest went back
	switch r.Payment {
	case "captured":
		switch change := m.inserted - r.Fee; {
		case !m.known:
			return Tf("料金 %s をいただきました。おつりがある場合はお取りください。", "You paid %s. Please take any change.", Yen(r.Fee))
		case change > 0 && refunded:
			return Tf("料金 %s をいただきました。おつり %s をお取りください。", "You paid %s. Please take your change of %s.", Yen(r.Fee), Yen(change))
		}
		return Tf("料金 %s をいただきました。", "You paid %s.", Yen(r.Fee))
	case "released", "returned":
		if m.known && m.inserted > 0 && refunded {
			return Tf("料金はいただいていません。投入された %s をお返しします。返却口からお取りください。",
				"You have not been charged. The %s you inserted is returned; please take it from the return slot.", Yen(m.inserted))
		}
		return T("料金はいただいていません。投入したお金は返却しましたので、返却口からお取りください。",
			"You have not been charged. The money you inserted has been returned; please take it from the return slot.")
	case "capture-failed":
		return T("料金の精算が完了していません。店員にお知らせください。",
			"Payment could not be completed. Please tell the store staff.")
	case "release-failed", "return-failed":
		return T("投入したお金を返却できませんでした。店員にお知らせください。",
			"The money you inserted could not be returned. Please tell the store staff.")
	}
	return T("料金はいただいていません。", "You have not been charged.")
}

// refusalWords says, by the stage of a refusal code, what the kiosk could
// not confirm; the code itself is for the journal and staff.
func refusalWords(code terminal.Reason) Text {
	switch code.Stage() {
	case string(protocol.StageTicket), string(protocol.StageHousehold):
		return T("交付センターからの応答が、この申請に対するものであることを確認できなかったため、手続きを中止しました。証明書は印刷していません。",
			"We could not confirm that the issuance center's answer was for your request, so we stopped. Nothing was printed.")
	case string(protocol.StageEnvelope), string(protocol.StagePage):
		return T("受信した証明書が、ご本人の申請どおりのものであることを確認できなかったため、印刷していません。",
			"We could not confirm that the certificate we received is the one you asked for, so it was not printed.")
	}
	return T("申請の内容を確認できなかったため、手続きを中止しました。証明書は印刷していません。",
		"We could not confirm your request, so we stopped. Nothing was printed.")
}

// centerDo is the advice under a center's refusal. Most of the center's
// messages already end in what to do (窓口で…, 最初からやり直して…); those
// get nothing more, so the advice is said once. The card is never named:
// the reminder below asks for it until it has left the reader.
func centerDo(t protocol.ProblemType, again Text) Text {
	switch t {
	case protocol.ProbDocumentUnavailable:
		return T("取扱時間や登録の有無は、お住まいの市区町村にお問い合わせください。",
			"Please ask your municipality about its hours and records.")
	case protocol.ProbOutsideHours:
		return T("サービス提供時間内に、あらためてお越しください。", "Please come back during service hours.")
	case protocol.ProbUnknownMunicipality:
		return T("証明書は市区町村の窓口でお求めください。", "Please request the certificate at your municipal office.")
	case protocol.ProbTicketClosed:
		return again
	}
	return Text{}
}

// failureWords fills w for a failed or cancelled session.
func failureWords(reason terminal.Reason, w *words) {
	notIssued := T("証明書を発行できませんでした。", "The certificate could not be issued.")
	stopped := T("手続きを中止しました。", "The request was cancelled.")
	// What to do next says nothing of the card: the reminder below it
	// asks for the card, blinking, until it has left the reader.
	again := T("必要な場合は、最初からやり直してください。", "Start again if you wish.")
	switch {
	case reason == "card-blocked":
		w.Title = T("カードの暗証番号がロックされています。", "Your card's PIN is locked.")
		w.What = T("利用者証明用電子証明書の暗証番号は、3回続けて間違えるとロックされます。ロックが解除されるまで、このカードではコンビニでの証明書の取得はできません。",
			"The PIN of the card's authentication certificate locks after three wrong tries. Until it is reset, this card cannot be used at a store.")
		w.Do = T("カードをお持ちのうえ、お住まいの市区町村の窓口で暗証番号の再設定（ロック解除）の手続きをしてください。",
			"Please take your card to your municipal office to have the PIN reset.")
		w.Office = true
	case reason == "card-certificate-missing":
		w.Title = notIssued
		w.What = T("このカードには利用者証明用電子証明書が入っていません。", "This card has no user-authentication certificate.")
		w.Do = T("カードをお持ちのうえ、お住まいの市区町村の窓口で電子証明書の発行を受けてください。",
			"Please take your card to your municipal office to have the certificate issued.")
		w.Office = true
	case reason == "card-certificate-expired":
		w.Title = notIssued
		w.What = T("このカードの利用者証明用電子証明書は有効期限が切れています。", "This card's authentication certificate has expired.")
		w.Do = T("カードをお持ちのうえ、お住まいの市区町村の窓口で電子証明書の更新手続きをしてください。",
			"Please take your card to your municipal office to have the certificate renewed.")
		w.Office = true
	case reason == "card-pin-counter":
		w.Title = notIssued
		w.What = T("カードの状態を正しく確認できませんでした。", "The card's state could not be confirmed.")
		w.Do = T("カードをお取りのうえ、お住まいの市区町村の窓口にお問い合わせください。", "Please take your card and ask your municipal office.")
		w.Office = true
	case reason == terminal.ReasonCardRemoved:
		// 手続きを中止しました said once, with why, in the title; the
		// body says what it means and what to do (issue 17, item 14).
		w.Title = T("カードが取り外されたため、手続きを中止しました。", "The card was removed, so the request was cancelled.")
		w.What = T("証明書は発行していません。", "No certificate was issued.")
		w.Do = again
	case reason == terminal.ReasonHouseholdUnsupported:
		// The center offers no household list: the same document can
		// still be had, listing the whole household or the resident.
		w.Title = notIssued
		w.What = Tf("「%s」の指定は、現在この端末ではご利用いただけません。", "“%s” is not available at this terminal now.",
			valueLabel("scope", protocol.ScopeMembers))
		w.Do = Tf("最初からやり直して、「%s」または「%s」を選んでください。", "Please start again and choose “%s” or “%s”.",
			valueLabel("scope", "household"), valueLabel("scope", "self"))
	case reason.Class() == terminal.ClassCenter:
		pt, _ := reason.Problem()
		p, _ := protocol.LookupProblem(pt)
		w.Title = notIssued
		w.What = fromTable(p.JA, p.EN)
		w.Do = centerDo(p.Type, again)
		switch p.Type {
		case protocol.ProbCardRevoked, protocol.ProbCardExpired, protocol.ProbCardUntrusted, protocol.ProbNotEligible,
			protocol.ProbUnknownMunicipality:
			w.Office = true
		case protocol.ProbTerminalRefused, protocol.ProbInternal:
			w.Staff = true
		}
	case reason.Detail() == "cancelled":
		w.Title = stopped
		w.What = T("証明書は発行していません。", "No certificate was issued.")
		w.Do = again
	case reason.Class() == terminal.ClassPrinter:
		// The printer could not take the job: nothing was sent.
		if f := printerFaultOf(reason); f != faultNone {
			faultBeforePrint(f, w)
			break
		}
		w.Title = notIssued
		w.What = T("証明書を印刷できませんでした。", "The certificate could not be printed.")
		w.Do = T("店員にお知らせください。", "Please tell the store staff.")
		w.Staff = true
	case reason.Class() == terminal.ClassResident && reason.Detail() == "timeout":
		w.Title = T("一定時間操作がなかったため、手続きを中止しました。", "Nothing was pressed for a while, so the request was cancelled.")
		w.What = T("証明書は発行していません。", "No certificate was issued.")
		w.Do = again
	case reason.Class() == terminal.ClassNetwork && (reason.Detail() == "timeout" || reason.Detail() == string(protocol.TransportOther)):
		w.Title = notIssued
		w.What = T("交付センターから応答がありませんでした。", "The issuance center did not answer.")
		w.Do = T("しばらくしてから、もう一度お試しください。", "Please try again later.")
	case reason == terminal.ReasonPaymentInsufficient:
		w.Title = stopped
		w.What = T("投入金額が足りませんでした。", "Not enough money was inserted.")
		w.Do = again
	case reason.Class() == terminal.ClassCard:
		w.Title = notIssued
		w.What = T("カードを読み取れませんでした。", "The card could not be read.")
		w.Do = T("カードを置き直して、最初からやり直してください。", "Please place your card again and start over.")
	default:
		w.Title = notIssued
		w.What = T("システムの不具合のため、証明書を発行できませんでした。", "A system problem prevented issuing the certificate.")
		w.Do = T("店員にお知らせください。", "Please tell the store staff.")
		w.Staff = true
	}
}
