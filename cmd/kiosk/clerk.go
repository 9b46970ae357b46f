package main

import "kofu/terminal/tui"

// clerkAction is what the store clerk does about a failing check, in the
// clerk's words (issue 17, item 6): the check's own detail stays for the
// technician, in English, below it.
func clerkAction(check string) tui.Text {
	switch check {
	case "reader":
		return tui.T("カードリーダーのケーブルが抜けていないか確認してください。",
			"Check that the card reader's cable is plugged in.")
	case "printer":
		return tui.T("プリンタの用紙、紙づまり、カバー、電源とケーブルを確認してください。",
			"Check the printer's paper, jams, covers, power and cable.")
	case "center":
		return tui.T("店内のネットワーク機器の電源とケーブルを確認してください。",
			"Check the power and cables of the store's network equipment.")
	case "journal", "disk":
		return tui.T("端末の電源は切らずに、ヘルプデスクに連絡してください。",
			"Do not switch the machine off; call the help desk.")
	}
	return tui.T("ヘルプデスクに連絡してください。", "Call the help desk.")
}
