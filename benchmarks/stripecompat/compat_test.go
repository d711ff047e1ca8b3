// Package stripecompat proves that monitehooks signatures and Stripe's
// (github.com/stripe/stripe-go/v82/webhook) are interchangeable, and compares
// their speed. It is a separate module so that the library never depends on
// stripe-go.
package stripecompat

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/stripe/stripe-go/v82/webhook"
)

// webhook.ValidatePayload only checks the header against the body (parse,
// tolerance on old timestamps, HMAC compare); unlike ConstructEvent it does
// not decode the JSON or check api_version, so any body works.

// TestStripeVerifiesMonitehooks: headers made by monitehooks.Sign pass
// Stripe's verifier, one secret at a time, including every secret of a
// rotation header with one v1 per secret.
func TestStripeVerifiesMonitehooks(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name    string
		signed  []string // secrets monitehooks signs with
		checked string   // secret stripe checks with
		at      time.Time
		body    []byte // body stripe checks; nil means body250
		wantErr error
	}{
		{name: "one secret", signed: []string{secretA}, checked: secretA, at: now},
		{name: "rotation, first secret", signed: []string{secretA, secretB}, checked: secretA, at: now},
		{name: "rotation, second secret", signed: []string{secretA, secretB}, checked: secretB, at: now},
		{name: "three secrets, last", signed: []string{secretA, secretB, secretC}, checked: secretC, at: now},
		{name: "within tolerance", signed: []string{secretA}, checked: secretA, at: now.Add(-webhook.DefaultTolerance + time.Minute)},
		{name: "wrong secret", signed: []string{secretA, secretB}, checked: secretC, at: now, wantErr: webhook.ErrNoValidSignature},
		{name: "tampered body", signed: []string{secretA}, checked: secretA, at: now, body: append([]byte{' '}, body250...), wantErr: webhook.ErrNoValidSignature},
		{name: "too old", signed: []string{secretA}, checked: secretA, at: now.Add(-webhook.DefaultTolerance - time.Minute), wantErr: webhook.ErrTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			header := monitehooks.Sign(body250, tt.at, tt.signed...)
			body := tt.body
			if body == nil {
				body = body250
			}
			err := webhook.ValidatePayload(body, header, tt.checked)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("webhook.ValidatePayload(%q) = %v, want %v", header, err, tt.wantErr)
			}
		})
	}
}

// TestMonitehooksVerifiesStripe: headers made by stripe-go pass
// monitehooks.Verify.
func TestMonitehooksVerifiesStripe(t *testing.T) {
	t.Parallel()
	now := time.Now()
	manual := func(at time.Time, secret string, extra string) string {
		sig := webhook.ComputeSignature(at, body250, secret)
		return fmt.Sprintf("t=%d,v1=%s%s", at.Unix(), hex.EncodeToString(sig), extra)
	}
	generated := func(at time.Time, secret string) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload: body250, Secret: secret, Timestamp: at,
		}).Header
	}
	// Stripe's live headers also carry a v0 (a test-mode signature), which
	// Verify ignores.
	v0 := ",v0=" + hex.EncodeToString(webhook.ComputeSignature(now, body250, "whsec_other"))
	tests := []struct {
		name    string
		header  string
		secrets []string // secrets Verify accepts
		wantErr error
	}{
		{name: "GenerateTestSignedPayload", header: generated(now, secretA), secrets: []string{secretA}},
		{name: "GenerateTestSignedPayload, default time", header: generated(time.Time{}, secretA), secrets: []string{secretA}},
		{name: "ComputeSignature", header: manual(now, secretA, ""), secrets: []string{secretA}},
		{name: "ComputeSignature with v0", header: manual(now, secretA, v0), secrets: []string{secretA}},
		{name: "rotation, old secret signed", header: manual(now, secretA, ""), secrets: []string{secretB, secretA}},
		{name: "rotation, new secret signed", header: manual(now, secretB, ""), secrets: []string{secretB, secretA}},
		{name: "wrong secret", header: manual(now, secretA, ""), secrets: []string{secretB}, wantErr: monitehooks.ErrNoValidSignature},
		{name: "too old", header: generated(now.Add(-monitehooks.DefaultTolerance-time.Minute), secretA), secrets: []string{secretA}, wantErr: monitehooks.ErrTimestampTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := monitehooks.Verify(tt.header, body250, monitehooks.VerifyParams{Secrets: tt.secrets})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("monitehooks.Verify(%q) = %v, want %v", tt.header, err, tt.wantErr)
			}
		})
	}
}

// TestDesignVector: the test vector of docs/webhooks.md ("Test vector") is
// what both implementations compute, and each accepts the resulting header.
func TestDesignVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		unix   = 1710139795
		body   = `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook"}`
		v1     = "4a6204f0843ab6af879bcf72ebeb276f3c0b2a21f5c5bd25df87dc2ad9dc6cd8"
		header = "t=1710139795,v1=" + v1
	)
	at := time.Unix(unix, 0)
	tests := []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{
			name: "stripe ComputeSignature",
			got: func() (string, error) {
				return hex.EncodeToString(webhook.ComputeSignature(at, []byte(body), secret)), nil
			},
			want: v1,
		},
		{
			name: "stripe GenerateTestSignedPayload",
			got: func() (string, error) {
				return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
					Payload: []byte(body), Secret: secret, Timestamp: at,
				}).Header, nil
			},
			want: header,
		},
		{
			name: "monitehooks Sign",
			got:  func() (string, error) { return monitehooks.Sign([]byte(body), at, secret), nil },
			want: header,
		},
		{
			name: "stripe accepts the vector",
			got: func() (string, error) {
				return "ok", webhook.ValidatePayloadIgnoringTolerance([]byte(body), header, secret)
			},
			want: "ok",
		},
		{
			name: "monitehooks accepts the vector",
			got: func() (string, error) {
				return "ok", monitehooks.Verify(header, []byte(body), monitehooks.VerifyParams{
					Secrets: []string{secret},
					Now:     func() time.Time { return at },
				})
			},
			want: "ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.got()
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
