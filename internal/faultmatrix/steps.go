package faultmatrix

import (
	"net/http"
	"strings"
)

// Wire steps of protocol v1, as the kiosk's requests show them.
const (
	StepHousehold = "household" // POST /v1/household (世帯の一部: the household list)
	StepRequest   = "request"   // POST /v1/requests
	StepDocument  = "document"  // GET /v1/tickets/{tid}/document
	StepPage      = "page"      // GET /v1/tickets/{tid}/pages/{n}
	StepOutcome   = "outcome"   // POST /v1/tickets/{tid}/outcome
)

// StepOf names the protocol step of a request path ("" if none).
func StepOf(path string) string {
	switch {
	case path == "/v1/household":
		return StepHousehold
	case path == "/v1/requests":
		return StepRequest
	case strings.HasSuffix(path, "/document"):
		return StepDocument
	case strings.Contains(path, "/pages/"):
		return StepPage
	case strings.HasSuffix(path, "/outcome"):
		return StepOutcome
	}
	return ""
}

// Steps wraps the kiosk's transport and calls Before with the step of
// each request just before it goes on the wire, so a fault can be armed
// at exactly that step; it also counts the requests of each step.
type Steps struct {
	Base   http.RoundTripper
	Before func(step string)
	count  func(step string)
}

// NewSteps wraps base; before may be nil; count is called after before.
func NewSteps(base http.RoundTripper, before, count func(step string)) *Steps {
	return &Steps{Base: base, Before: before, count: count}
}

// RoundTrip implements http.RoundTripper.
func (s *Steps) RoundTrip(r *http.Request) (*http.Response, error) {
	step := StepOf(r.URL.Path)
	if s.Before != nil {
		s.Before(step)
	}
	if s.count != nil {
		s.count(step)
	}
	return s.Base.RoundTrip(r)
}
