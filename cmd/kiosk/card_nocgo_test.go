//go:build !cgo

package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"kofu/cardreader"
)

// Built without cgo, the card commands say so instead of failing
// obscurely.
func TestCardWithoutCgo(t *testing.T) {
	var out, errb bytes.Buffer
	code, err := runCard(context.Background(), []string{"info"}, &out, &errb)
	if code != 1 || !errors.Is(err, cardreader.ErrNoBackend) || err.Error() != "cardreader: PC/SC backend left out: built without cgo" {
		t.Errorf("code %d err %v", code, err)
	}
}
