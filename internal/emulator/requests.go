package emulator

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// RequestRecorder keeps the bytes of the last request (POST /v1/requests)
// the kiosk sent, for tests that check a document's binding (SHA-256 of
// those bytes) themselves. Set it as Options.Transport with its Wrap.
type RequestRecorder struct {
	mu   sync.Mutex
	rt   http.RoundTripper
	body []byte
}

// Wrap is an Options.Transport: requests go on through rt.
func (r *RequestRecorder) Wrap(rt http.RoundTripper) http.RoundTripper {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rt = rt
	return r
}

// RoundTrip records a request's body and sends it on unchanged.
func (r *RequestRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == "/v1/requests" && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.body = b
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	r.mu.Lock()
	rt := r.rt
	r.mu.Unlock()
	return rt.RoundTrip(req)
}

// Request is the body of the last request sent (nil: none yet).
func (r *RequestRecorder) Request() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}
