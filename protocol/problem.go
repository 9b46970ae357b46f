package protocol

import (
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// ProblemType is the "type" of an RFC 9457 problem document, from the
// fixed list of protocol v1 (a relative URI reference).
type ProblemType string

// The problem types of protocol v1.
const (
	ProbCardRevoked         ProblemType = "card-revoked"
	ProbCardExpired         ProblemType = "card-expired"
	ProbCardUntrusted       ProblemType = "card-untrusted"
	ProbNotEligible         ProblemType = "not-eligible"
	ProbDocumentUnavailable ProblemType = "document-unavailable"
	ProbOutsideHours        ProblemType = "outside-service-hours"
	ProbReplay              ProblemType = "replay"
	ProbBadSignature        ProblemType = "bad-signature"
	ProbBadRequest          ProblemType = "bad-request"
	ProbUnknownMunicipality ProblemType = "unknown-municipality"
	ProbTerminalRefused     ProblemType = "terminal-refused"
	ProbUnknownTicket       ProblemType = "unknown-ticket"
	ProbTicketClosed        ProblemType = "ticket-closed"
	ProbIssuerUnavailable   ProblemType = "issuer-unavailable"
	ProbBusy                ProblemType = "busy"
	ProbInternal            ProblemType = "internal"

	// Household members chosen individually (household.go): the request
	// names members the center cannot take.
	ProbHouseholdStale     ProblemType = "household-stale"     // the list the members were chosen from has expired
	ProbHouseholdForeign   ProblemType = "household-foreign"   // a list or token this card was not given: another query's, another household's, unknown
	ProbHouseholdDuplicate ProblemType = "household-duplicate" // a member named twice
)

// ProblemInfo is what kofu knows about a problem type: its HTTP status and
// the words the resident reads.
type ProblemInfo struct {
	Type   ProblemType
	Status int
	JA, EN string
}

func problemTable() []ProblemInfo {
	return []ProblemInfo{
		{ProbCardRevoked, http.StatusForbidden,
			"このカードの利用者証明用電子証明書は失効しています。お住まいの市区町村の窓口でお手続きください。",
			"This card's authentication certificate has been revoked. Please visit your municipal office."},
		{ProbCardExpired, http.StatusForbidden,
			"このカードの利用者証明用電子証明書は有効期限が切れています。市区町村の窓口で更新してください。",
			"This card's authentication certificate has expired. Please renew it at your municipal office."},
		{ProbCardUntrusted, http.StatusForbidden,
			"このカードは確認できませんでした。市区町村の窓口にお問い合わせください。",
			"This card could not be verified. Please ask your municipal office."},
		{ProbNotEligible, http.StatusForbidden,
			"この証明書はコンビニ交付では発行できません。市区町村の窓口でお求めください。",
			"This certificate cannot be issued at a store. Please request it at your municipal office."},
		{ProbDocumentUnavailable, http.StatusConflict,
			"ご指定の証明書は現在発行できません（登録がない、または取扱時間外です）。",
			"The selected certificate cannot be issued now (no record, or outside its hours)."},
		{ProbOutsideHours, http.StatusServiceUnavailable,
			"ただいまサービス提供時間外です（6:30〜23:00）。",
			"The service is closed now (open 6:30–23:00)."},
		{ProbReplay, http.StatusConflict,
			"この申請はすでに処理されています。最初からやり直してください。",
			"This request was already processed. Please start again."},
		{ProbBadSignature, http.StatusBadRequest,
			"カードの署名を確認できませんでした。最初からやり直してください。",
			"The card's signature could not be verified. Please start again."},
		{ProbBadRequest, http.StatusBadRequest,
			"申請の内容に誤りがありました。最初からやり直してください。",
			"The request was not valid. Please start again."},
		{ProbUnknownMunicipality, http.StatusNotFound,
			"お住まいの市区町村はコンビニ交付に対応していません。",
			"Your municipality does not offer store issuance."},
		{ProbTerminalRefused, http.StatusForbidden,
			"この端末は現在ご利用いただけません。店員にお知らせください。",
			"This terminal cannot be used now. Please tell the store staff."},
		{ProbUnknownTicket, http.StatusNotFound,
			"申請が見つかりませんでした。最初からやり直してください。",
			"The request could not be found. Please start again."},
		{ProbTicketClosed, http.StatusGone,
			"この申請は終了しています。",
			"This request has already ended."},
		{ProbIssuerUnavailable, http.StatusServiceUnavailable,
			"市区町村のシステムに接続できません。しばらくしてからお試しください。",
			"Your municipality's system cannot be reached. Please try again later."},
		{ProbBusy, http.StatusServiceUnavailable,
			"ただいま混み合っています。しばらくしてからお試しください。",
			"The service is busy. Please try again later."},
		{ProbHouseholdStale, http.StatusConflict,
			"世帯員の一覧の有効期限が切れました。最初からやり直してください。",
			"The list of household members has expired. Please start again."},
		{ProbHouseholdForeign, http.StatusForbidden,
			"選んだ世帯員を確認できませんでした。最初からやり直してください。",
			"The household members you chose could not be confirmed. Please start again."},
		{ProbHouseholdDuplicate, http.StatusBadRequest,
			"同じ方が重ねて選ばれていました。最初からやり直してください。",
			"The same person was chosen twice. Please start again."},
		{ProbInternal, http.StatusInternalServerError,
			"システムエラーが発生しました。店員にお知らせください。",
			"A system error occurred. Please tell the store staff."},
	}
}

// ProblemTypes lists every problem type with its messages.
func ProblemTypes() []ProblemInfo { return problemTable() }

// LookupProblem returns the entry for a type; unknown types map to
// ProbInternal's words with ok false.
func LookupProblem(t ProblemType) (ProblemInfo, bool) {
	for _, p := range problemTable() {
		if p.Type == t {
			return p, true
		}
	}
	p, _ := LookupProblem(ProbInternal)
	return p, false
}

// Problem is an RFC 9457 problem document, and an error.
type Problem struct {
	Type   ProblemType `json:"type"`
	Title  string      `json:"title"`
	Status int         `json:"status"`
	Detail string      `json:"detail,omitempty"`
}

// NewProblem builds the problem document for a type.
func NewProblem(t ProblemType, detail string) *Problem {
	info, _ := LookupProblem(t)
	return &Problem{Type: t, Title: info.EN, Status: info.Status, Detail: detail}
}

func (p *Problem) Error() string {
	s := fmt.Sprintf("center problem %s (HTTP %d)", p.Type, p.Status)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Message returns the resident-facing words in "ja" or "en".
func (p *Problem) Message(lang string) string {
	info, _ := LookupProblem(p.Type)
	if lang == "en" {
		return info.EN
	}
	return info.JA
}

// maxProblem bounds a problem document.
const maxProblem = 4 << 10

// ParseProblem decodes a problem document strictly enough for a hostile
// peer: bounded size, one JSON object, known type (else ProbInternal with
// the raw type kept in Detail), status a real HTTP error code. Unknown
// extension members are allowed by RFC 9457 and ignored.
func ParseProblem(data []byte, httpStatus int) (*Problem, error) {
	if len(data) > maxProblem {
		return nil, fmt.Errorf("problem document of %d bytes", len(data))
	}
	if err := checkJSONShape(data); err != nil {
		return nil, fmt.Errorf("problem document: %w", err)
	}
	var p Problem
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("problem document: %w", err)
	}
	if _, ok := LookupProblem(p.Type); !ok {
		p.Detail = fmt.Sprintf("unknown problem type %.40q", string(p.Type))
		p.Type = ProbInternal
	}
	if p.Status < 400 || p.Status > 599 {
		p.Status = httpStatus
	}
	p.Detail = truncateUTF8(p.Detail, 200)
	p.Title = truncateUTF8(p.Title, 200)
	return &p, nil
}

// WriteProblem writes p as an application/problem+json response.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", MediaProblem)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
