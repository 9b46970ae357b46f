package tui

import (
	"strings"

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
	Paper  Text // a reminder to take paper, when paper may be out
	Office bool // the resident is sent to the municipal office
	Staff  bool // the resident should tell the store staff
}

// explain turns a result into words for the resident.
func explain(r terminal.Result) words {
	w := words{Fee: feeWords(r), Level: levelError}
	switch r.Outcome {
	case protocol.ResultPrinted:
		w.Level = levelOK
		w.Title = T("証明書の印刷が完了しました。", "Your certificate has been printed.")
		w.What = Tf("%s印刷しました。", "%s printed.", pageCount(r.Pages))
		w.Do = T("カードと証明書をお取りください。", "Please take your card and your certificate.")
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
	return w
}

// feeWords says whether the fee was taken, and whether coins beyond it
// could not be given back.
func feeWords(r terminal.Result) Text {
	w := paymentWords(r)
	if r.Refund == "return-failed" && r.Payment != "return-failed" {
		w = Cat(w, T("投入したお金の一部を返却できませんでした。店員にお知らせください。",
			"Some of the money you inserted could not be returned. Please tell the store staff."))
	}
	return w
}

// paymentWords says whether the fee was taken.
func paymentWords(r terminal.Result) Text {
	switch r.Payment {
	case "captured":
		return Tf("料金 %s をいただきました。おつりがある場合はお取りください。", "You paid %s. Please take any change.", Yen(r.Fee))
	case "released", "returned":
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
func refusalWords(code string) Text {
	switch {
	case strings.HasPrefix(code, string(protocol.StageTicket)+"-"):
		return T("交付センターからの応答が、この申請に対するものであることを確認できなかったため、手続きを中止しました。証明書は印刷していません。",
			"We could not confirm that the issuance center's answer was for your request, so we stopped. Nothing was printed.")
	case strings.HasPrefix(code, string(protocol.StageEnvelope)+"-"), strings.HasPrefix(code, string(protocol.StagePage)+"-"):
		return T("届いた証明書が、ご本人の申請どおりのものであることを確認できなかったため、印刷していません。",
			"We could not confirm that the certificate we received is the one you asked for, so it was not printed.")
	}
	return T("申請の内容を確認できなかったため、手続きを中止しました。証明書は印刷していません。",
		"We could not confirm your request, so we stopped. Nothing was printed.")
}

// residentStages are the stages where a timeout means nobody pressed a key.
func residentStage(stage string) bool {
	switch stage {
	case "choose", "pin", "pay":
		return true
	}
	return false
}

// failureWords fills w for a failed or cancelled session.
func failureWords(reason string, w *words) {
	notIssued := T("証明書を発行できませんでした。", "The certificate could not be issued.")
	stopped := T("手続きを中止しました。", "The request was cancelled.")
	again := T("カードをお取りください。必要な場合は、最初からやり直してください。",
		"Please take your card. Start again if you wish.")
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
	case reason == "card-removed":
		w.Title = stopped
		w.What = T("カードが取り外されたため、手続きを中止しました。", "The card was removed, so the request was cancelled.")
		w.Do = T("必要な場合は、最初からやり直してください。", "Start again if you wish.")
	case strings.HasPrefix(reason, "center-"):
		p, _ := protocol.LookupProblem(protocol.ProblemType(strings.TrimPrefix(reason, "center-")))
		w.Title = notIssued
		w.What = fromTable(p.JA, p.EN)
		w.Do = T("カードをお取りください。", "Please take your card.")
		switch p.Type {
		case protocol.ProbCardRevoked, protocol.ProbCardExpired, protocol.ProbCardUntrusted, protocol.ProbNotEligible,
			protocol.ProbUnknownMunicipality:
			w.Office = true
		case protocol.ProbTerminalRefused, protocol.ProbInternal:
			w.Staff = true
		}
	case strings.HasSuffix(reason, "-cancelled"):
		w.Title = stopped
		w.What = T("証明書は発行していません。", "No certificate was issued.")
		w.Do = again
	case strings.HasPrefix(reason, "print-"):
		// The printer could not take the job: nothing was sent.
		if f := printerFaultOf(reason); f != faultNone {
			faultBeforePrint(f, w)
			break
		}
		w.Title = notIssued
		w.What = T("証明書を印刷できませんでした。", "The certificate could not be printed.")
		w.Do = T("店員にお知らせください。", "Please tell the store staff.")
		w.Staff = true
	case strings.HasSuffix(reason, "-timeout") && residentStage(strings.TrimSuffix(reason, "-timeout")):
		w.Title = stopped
		w.What = T("一定時間操作がなかったため、手続きを中止しました。", "Nothing was pressed for a while, so the request was cancelled.")
		w.Do = again
	case strings.HasSuffix(reason, "-timeout"), strings.HasSuffix(reason, "-transport"):
		w.Title = notIssued
		w.What = T("交付センターから応答がありませんでした。", "The issuance center did not answer.")
		w.Do = T("カードをお取りください。しばらくしてから、もう一度お試しください。", "Please take your card and try again later.")
	case reason == "payment-insufficient":
		w.Title = stopped
		w.What = T("投入金額が足りませんでした。", "Not enough money was inserted.")
		w.Do = again
	case strings.HasPrefix(reason, "card-"):
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
