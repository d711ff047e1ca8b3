package monitehooks_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// middlewareBundle is a receiver protected by VerifyMiddleware that records
// what reached it.
type middlewareBundle struct {
	handler http.Handler
	called  bool
	body    []byte
	length  int64
}

func setupMiddleware(t *testing.T, p monitehooks.VerifyParams) *middlewareBundle {
	t.Helper()
	b := &middlewareBundle{}
	b.handler = monitehooks.VerifyMiddleware(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.called = true
		b.length = r.ContentLength
		var err error
		b.body, err = io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("next: reading the body: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return b
}

func (b *middlewareBundle) serve(header string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
	if header != "" {
		req.Header.Set(monitehooks.SignatureHeader, header)
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	return rec
}

func TestVerifyMiddleware(t *testing.T) {
	t.Parallel()

	secret := monitehooks.NewSecret()
	now := time.Date(2024, 3, 11, 6, 49, 55, 0, time.UTC)
	p := monitehooks.VerifyParams{Secrets: []string{secret}, Now: at(now)}
	body := []byte(vecBody)
	full := bytes.Repeat([]byte("a"), monitehooks.DefaultMaxBodyBytes)
	over := bytes.Repeat([]byte("a"), monitehooks.DefaultMaxBodyBytes+1)

	tests := []struct {
		name     string
		params   monitehooks.VerifyParams
		header   string
		body     []byte
		wantCode int
		wantMsg  string // in the response body of a refusal
	}{
		{name: "valid", params: p, header: monitehooks.Sign(body, now, secret), body: body, wantCode: http.StatusNoContent},
		{name: "empty body", params: p, header: monitehooks.Sign(nil, now, secret), body: nil, wantCode: http.StatusNoContent},
		{name: "largest body", params: p, header: monitehooks.Sign(full, now, secret), body: full, wantCode: http.StatusNoContent},
		{name: "body too large", params: p, header: monitehooks.Sign(over, now, secret), body: over, wantCode: http.StatusRequestEntityTooLarge, wantMsg: "too large"},
		{name: "missing header", params: p, header: "", body: body, wantCode: http.StatusBadRequest, wantMsg: monitehooks.ErrNoSignature.Error()},
		{name: "malformed header", params: p, header: "t=1, v1=x", body: body, wantCode: http.StatusBadRequest, wantMsg: monitehooks.ErrMalformedSignature.Error()},
		{name: "wrong secret", params: p, header: monitehooks.Sign(body, now, monitehooks.NewSecret()), body: body, wantCode: http.StatusBadRequest, wantMsg: monitehooks.ErrNoValidSignature.Error()},
		{name: "other body", params: p, header: monitehooks.Sign(body, now, secret), body: []byte(`{}`), wantCode: http.StatusBadRequest, wantMsg: monitehooks.ErrNoValidSignature.Error()},
		{name: "too old", params: p, header: monitehooks.Sign(body, now.Add(-time.Hour), secret), body: body, wantCode: http.StatusBadRequest, wantMsg: monitehooks.ErrTimestampTooOld.Error()},
		{name: "no secrets", params: monitehooks.VerifyParams{Now: at(now)}, header: monitehooks.Sign(body, now, secret), body: body, wantCode: http.StatusInternalServerError, wantMsg: "Secrets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			b := setupMiddleware(t, tt.params)
			rec := b.serve(tt.header, tt.body)
			if rec.Code != tt.wantCode {
				t.Errorf("Code = %d; want %d (body %q)", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantCode/100 == 2 {
				if !b.called {
					t.Fatal("next was not called")
				}
				if !bytes.Equal(b.body, tt.body) {
					t.Errorf("next read %d bytes; want the %d sent, unchanged", len(b.body), len(tt.body))
				}
				if b.length != int64(len(tt.body)) {
					t.Errorf("ContentLength = %d; want %d", b.length, len(tt.body))
				}
				return
			}
			if b.called {
				t.Error("next was called; want the request refused")
			}
			msg := rec.Body.String()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("Body = %q; want it to contain %q", msg, tt.wantMsg)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, strings.TrimPrefix(secret, monitehooks.SecretPrefix)) {
				t.Errorf("Body = %q; it reveals the secret", msg)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q; want text/plain", ct)
			}
		})
	}
}
