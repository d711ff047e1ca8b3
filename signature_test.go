package monitehooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// The test vector of docs/webhooks.md, section "Test vector".
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecUnix   = 1710139795
	vecBody   = `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook"}`
	vecV1     = "4a6204f0843ab6af879bcf72ebeb276f3c0b2a21f5c5bd25df87dc2ad9dc6cd8"
	vecHeader = "t=1710139795,v1=" + vecV1
)

var vecTime = time.Unix(vecUnix, 0)

// at returns a clock stuck at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// refMAC is the hex HMAC-SHA256 of "<ts>.<body>" computed with crypto/hmac,
// the reference the package's own HMAC must match.
func refMAC(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	io.WriteString(h, ts+".")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// sentinels are every error Verify reports about a request.
var sentinels = []error{
	monitehooks.ErrNoSignature,
	monitehooks.ErrMalformedSignature,
	monitehooks.ErrNoValidSignature,
	monitehooks.ErrTimestampTooOld,
	monitehooks.ErrTimestampTooNew,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func TestSignVector(t *testing.T) {
	t.Parallel()

	if got := monitehooks.Sign([]byte(vecBody), vecTime, vecSecret); got != vecHeader {
		t.Errorf("Sign() = %q; want %q", got, vecHeader)
	}
	// Sub-second precision is dropped, in any time zone.
	tm := vecTime.Add(999 * time.Millisecond).In(time.FixedZone("X", -7*3600))
	if got := monitehooks.Sign([]byte(vecBody), tm, vecSecret); got != vecHeader {
		t.Errorf("Sign(%v) = %q; want %q", tm, got, vecHeader)
	}
	dst := []byte("prefix:")
	got := monitehooks.AppendSignature(dst, []byte(vecBody), vecTime, []string{vecSecret})
	if want := "prefix:" + vecHeader; string(got) != want {
		t.Errorf("AppendSignature() = %q; want %q", got, want)
	}
}

func TestVerifyVector(t *testing.T) {
	t.Parallel()

	for _, header := range []string{
		vecHeader,
		"t=1710139795,v1=" + strings.ToUpper(vecV1),
		"v0=whatever,t=1710139795,v1=" + vecV1 + ",v2=future",
	} {
		p := monitehooks.VerifyParams{Secrets: []string{vecSecret}, Now: at(vecTime)}
		if err := monitehooks.Verify(header, []byte(vecBody), p); err != nil {
			t.Errorf("Verify(%q) = %v; want nil", header, err)
		}
	}
	// One byte of difference in the body, or the key without its prefix,
	// fails.
	p := monitehooks.VerifyParams{Secrets: []string{vecSecret}, Now: at(vecTime)}
	if err := monitehooks.Verify(vecHeader, []byte(vecBody+" "), p); !errors.Is(err, monitehooks.ErrNoValidSignature) {
		t.Errorf("Verify(body+space) = %v; want %v", err, monitehooks.ErrNoValidSignature)
	}
	p.Secrets = []string{strings.TrimPrefix(vecSecret, monitehooks.SecretPrefix)}
	if err := monitehooks.Verify(vecHeader, []byte(vecBody), p); !errors.Is(err, monitehooks.ErrNoValidSignature) {
		t.Errorf("Verify(secret without prefix) = %v; want %v", err, monitehooks.ErrNoValidSignature)
	}
}

func TestSignMatchesHMAC(t *testing.T) {
	t.Parallel()

	body := []byte(vecBody)
	// Key lengths around SHA-256's 64-byte block, where HMAC hashes the key.
	for n := 1; n <= 200; n++ {
		secret := strings.Repeat("k", n-1) + strconv.Itoa(n%10)
		want := "t=1710139795,v1=" + refMAC(secret, "1710139795", body)
		if got := monitehooks.Sign(body, vecTime, secret); got != want {
			t.Errorf("Sign(secret of %d bytes) = %q; want %q", n, got, want)
		}
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		body   []byte
		secret string
	}{
		{name: "vector", body: []byte(vecBody), secret: vecSecret},
		{name: "empty body", body: nil, secret: monitehooks.NewSecret()},
		{name: "binary body", body: []byte{0, 1, 2, 0xff, '\n', ',', '='}, secret: monitehooks.NewSecret()},
		{name: "large body", body: bytes.Repeat([]byte("x"), 1<<20), secret: monitehooks.NewSecret()},
		{name: "one-byte secret", body: []byte(vecBody), secret: "k"},
		{name: "long secret", body: []byte(vecBody), secret: strings.Repeat("s", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			now := time.Date(2024, 3, 11, 6, 49, 55, 0, time.UTC)
			header := monitehooks.Sign(tt.body, now, tt.secret)
			p := monitehooks.VerifyParams{Secrets: []string{tt.secret}, Now: at(now)}
			if err := monitehooks.Verify(header, tt.body, p); err != nil {
				t.Errorf("Verify(Sign()) = %v; want nil", err)
			}
		})
	}
}

func TestSignMultipleSecrets(t *testing.T) {
	t.Parallel()

	body := []byte(vecBody)
	current, previous, retired := monitehooks.NewSecret(), monitehooks.NewSecret(), monitehooks.NewSecret()
	header := monitehooks.Sign(body, vecTime, current, previous)
	want := "t=1710139795,v1=" + refMAC(current, "1710139795", body) + ",v1=" + refMAC(previous, "1710139795", body)
	if header != want {
		t.Fatalf("Sign(current, previous) = %q; want %q", header, want)
	}

	tests := []struct {
		name    string
		secrets []string
		want    error
	}{
		{name: "current only", secrets: []string{current}},
		{name: "previous only", secrets: []string{previous}},
		{name: "both", secrets: []string{previous, current}},
		{name: "retired and current", secrets: []string{retired, current}},
		{name: "retired only", secrets: []string{retired}, want: monitehooks.ErrNoValidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			p := monitehooks.VerifyParams{Secrets: tt.secrets, Now: at(vecTime)}
			if err := monitehooks.Verify(header, body, p); !errors.Is(err, tt.want) {
				t.Errorf("Verify() = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyRotatedOut(t *testing.T) {
	t.Parallel()

	// After a rotation the sender signs with the new secret only; a
	// receiver still holding only the old one rejects the delivery.
	body := []byte(vecBody)
	old, current := monitehooks.NewSecret(), monitehooks.NewSecret()
	header := monitehooks.Sign(body, vecTime, current)
	p := monitehooks.VerifyParams{Secrets: []string{old}, Now: at(vecTime)}
	if err := monitehooks.Verify(header, body, p); !errors.Is(err, monitehooks.ErrNoValidSignature) {
		t.Errorf("Verify() = %v; want %v", err, monitehooks.ErrNoValidSignature)
	}
}

func TestSignNoSecrets(t *testing.T) {
	t.Parallel()

	header := monitehooks.Sign([]byte(vecBody), vecTime)
	if want := "t=1710139795"; header != want {
		t.Errorf("Sign() = %q; want %q", header, want)
	}
	p := monitehooks.VerifyParams{Secrets: []string{vecSecret}, Now: at(vecTime)}
	if err := monitehooks.Verify(header, []byte(vecBody), p); !errors.Is(err, monitehooks.ErrNoValidSignature) {
		t.Errorf("Verify(%q) = %v; want %v", header, err, monitehooks.ErrNoValidSignature)
	}
}

// TestSignStripeShape parses a header the way Stripe's verifiers do: split
// on ",", then each part on "=", with no trimming.
func TestSignStripeShape(t *testing.T) {
	t.Parallel()

	secrets := []string{monitehooks.NewSecret(), monitehooks.NewSecret(), monitehooks.NewSecret()}
	header := monitehooks.Sign([]byte(vecBody), vecTime, secrets...)
	if strings.ContainsAny(header, " \t\r\n") {
		t.Errorf("Sign() = %q; want no spaces", header)
	}
	var ts string
	var v1s []string
	for part := range strings.SplitSeq(header, ",") {
		kv := strings.Split(part, "=")
		if len(kv) != 2 {
			t.Fatalf("Sign() = %q: element %q is not key=value", header, part)
		}
		switch kv[0] {
		case "t":
			ts = kv[1]
		case "v1":
			v1s = append(v1s, kv[1])
		default:
			t.Errorf("Sign() = %q: unexpected key %q", header, kv[0])
		}
	}
	if ts != "1710139795" {
		t.Errorf("Sign() = %q: t = %q; want %q", header, ts, "1710139795")
	}
	if len(v1s) != len(secrets) {
		t.Fatalf("Sign() = %q: %d v1; want %d", header, len(v1s), len(secrets))
	}
	for i, s := range secrets {
		if want := refMAC(s, ts, []byte(vecBody)); v1s[i] != want {
			t.Errorf("Sign() v1[%d] = %q; want %q", i, v1s[i], want)
		}
	}
}

func TestVerifyTolerance(t *testing.T) {
	t.Parallel()

	body := []byte(vecBody)
	tests := []struct {
		name      string
		tolerance time.Duration
		offset    time.Duration // now - t
		want      error
	}{
		{name: "same second", offset: 0},
		{name: "default, at the old boundary", offset: monitehooks.DefaultTolerance},
		{name: "default, past the old boundary", offset: monitehooks.DefaultTolerance + time.Nanosecond, want: monitehooks.ErrTimestampTooOld},
		{name: "default, at the new boundary", offset: -monitehooks.DefaultTolerance},
		{name: "default, past the new boundary", offset: -monitehooks.DefaultTolerance - time.Nanosecond, want: monitehooks.ErrTimestampTooNew},
		{name: "custom, at the old boundary", tolerance: 30 * time.Second, offset: 30 * time.Second},
		{name: "custom, too old", tolerance: 30 * time.Second, offset: 31 * time.Second, want: monitehooks.ErrTimestampTooOld},
		{name: "custom, at the new boundary", tolerance: 30 * time.Second, offset: -30 * time.Second},
		{name: "custom, too new", tolerance: 30 * time.Second, offset: -31 * time.Second, want: monitehooks.ErrTimestampTooNew},
		{name: "disabled, years old", tolerance: -1, offset: 10 * 365 * 24 * time.Hour},
		{name: "disabled, years ahead", tolerance: -1, offset: -10 * 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			p := monitehooks.VerifyParams{
				Secrets:   []string{vecSecret},
				Tolerance: tt.tolerance,
				Now:       at(vecTime.Add(tt.offset)),
			}
			if err := monitehooks.Verify(vecHeader, body, p); !errors.Is(err, tt.want) {
				t.Errorf("Verify() = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyDefaultClock(t *testing.T) {
	t.Parallel()

	body := []byte(vecBody)
	p := monitehooks.VerifyParams{Secrets: []string{vecSecret}}
	if err := monitehooks.Verify(monitehooks.Sign(body, time.Now(), vecSecret), body, p); err != nil {
		t.Errorf("Verify(signed now) = %v; want nil", err)
	}
	// The vector was signed in March 2024.
	if err := monitehooks.Verify(vecHeader, body, p); !errors.Is(err, monitehooks.ErrTimestampTooOld) {
		t.Errorf("Verify(vector) = %v; want %v", err, monitehooks.ErrTimestampTooOld)
	}
}

func TestVerifyHeader(t *testing.T) {
	t.Parallel()

	valid := vecV1
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{name: "empty", header: "", want: monitehooks.ErrNoSignature},
		{name: "only t=", header: "t=", want: monitehooks.ErrMalformedSignature},
		{name: "t not a number", header: "t=abc", want: monitehooks.ErrMalformedSignature},
		{name: "t twice", header: "t=1,t=2", want: monitehooks.ErrMalformedSignature},
		{name: "t twice, same value", header: "t=1710139795,t=1710139795,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "short v1 without t", header: "v1=abc", want: monitehooks.ErrMalformedSignature},
		{name: "valid v1 without t", header: "v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "space after comma", header: "t=1710139795, v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "leading space", header: " " + vecHeader, want: monitehooks.ErrMalformedSignature},
		{name: "trailing space", header: vecHeader + " ", want: monitehooks.ErrMalformedSignature},
		{name: "tab", header: "t=1710139795,\tv1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "space only", header: " ", want: monitehooks.ErrMalformedSignature},
		{name: "comma only", header: ",", want: monitehooks.ErrMalformedSignature},
		{name: "leading comma", header: "," + vecHeader, want: monitehooks.ErrMalformedSignature},
		{name: "trailing comma", header: vecHeader + ",", want: monitehooks.ErrMalformedSignature},
		{name: "empty element", header: "t=1710139795,,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "element without =", header: vecHeader + ",v1", want: monitehooks.ErrMalformedSignature},
		{name: "t without =", header: "t", want: monitehooks.ErrMalformedSignature},
		{name: "empty key", header: "=1," + vecHeader, want: monitehooks.ErrMalformedSignature},
		{name: "semicolons", header: "t=1710139795;v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "negative t", header: "t=-5", want: monitehooks.ErrMalformedSignature},
		{name: "signed t", header: "t=+1710139795,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "leading zero", header: "t=01710139795,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "fractional t", header: "t=1710139795.5,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "t overflows by one", header: "t=9223372036854775808", want: monitehooks.ErrMalformedSignature},
		{name: "t overflows", header: "t=99999999999999999999999999,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "t is double =", header: "t==1710139795,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "key case matters", header: "T=1710139795,v1=" + valid, want: monitehooks.ErrMalformedSignature},
		{name: "v1 of 63 chars", header: "t=1710139795,v1=" + valid[:63], want: monitehooks.ErrMalformedSignature},
		{name: "v1 of 65 chars", header: vecHeader + "0", want: monitehooks.ErrMalformedSignature},
		{name: "v1 not hex", header: "t=1710139795,v1=" + valid[:63] + "g", want: monitehooks.ErrMalformedSignature},
		{name: "empty v1", header: "t=1710139795,v1=", want: monitehooks.ErrMalformedSignature},
		{name: "bad v1 after a good one", header: vecHeader + ",v1=zz", want: monitehooks.ErrMalformedSignature},
		{name: "malformed beats too old", header: "t=1,v1=zz", want: monitehooks.ErrMalformedSignature},
		{name: "largest t is too new", header: "t=9223372036854775807,v1=" + valid, want: monitehooks.ErrTimestampTooNew},
		{name: "t=0 is too old", header: "t=0,v1=" + valid, want: monitehooks.ErrTimestampTooOld},
		{name: "too old beats a bad signature", header: "t=1710139000,v1=" + strings.Repeat("0", 64), want: monitehooks.ErrTimestampTooOld},
		{name: "no v1", header: "t=1710139795", want: monitehooks.ErrNoValidSignature},
		{name: "only other schemes", header: "t=1710139795,v0=" + valid, want: monitehooks.ErrNoValidSignature},
		{name: "wrong v1", header: "t=1710139795,v1=" + strings.Repeat("0", 64), want: monitehooks.ErrNoValidSignature},
		{name: "v1 for another t", header: "t=1710139796,v1=" + valid, want: monitehooks.ErrNoValidSignature},
		{name: "wrong and right v1", header: "t=1710139795,v1=" + strings.Repeat("0", 64) + ",v1=" + valid},
		{name: "other keys ignored", header: "t=1710139795,v0=x,scheme=hmac,v1=" + valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			p := monitehooks.VerifyParams{Secrets: []string{vecSecret}, Now: at(vecTime)}
			err := monitehooks.Verify(tt.header, []byte(vecBody), p)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%q) = %v; want %v", tt.header, err, tt.want)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("Verify(%q) = %v; also matches %v", tt.header, err, s)
				}
			}
		})
	}
}

func TestVerifyMisconfigured(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		secrets []string
	}{
		{name: "nil", secrets: nil},
		{name: "empty", secrets: []string{}},
		{name: "empty string", secrets: []string{""}},
		{name: "empty string after a secret", secrets: []string{vecSecret, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			p := monitehooks.VerifyParams{Secrets: tt.secrets, Now: at(vecTime)}
			// Even a header signed with the empty key is refused.
			header := monitehooks.Sign([]byte(vecBody), vecTime, "")
			err := monitehooks.Verify(header, []byte(vecBody), p)
			if err == nil || isSentinel(err) {
				t.Errorf("Verify() = %v; want an error about Secrets", err)
			}
			if err != nil && !strings.Contains(err.Error(), "Secrets") {
				t.Errorf("Verify() = %v; want it to name Secrets", err)
			}
		})
	}
}

// TestVerifyAllocs is not parallel: testing.AllocsPerRun refuses to run in
// a parallel test.
func TestVerifyAllocs(t *testing.T) {
	body := []byte(vecBody)
	tests := []struct {
		name   string
		header string
	}{
		{name: "valid", header: vecHeader},
		{name: "no valid signature", header: "t=1710139795,v1=" + strings.Repeat("0", 64)},
		{name: "too old", header: "t=1710130000,v1=" + vecV1},
		{name: "malformed", header: "t=1710139795,v1=zz"},
		{name: "missing", header: ""},
	}
	p := monitehooks.VerifyParams{Secrets: []string{"whsec_old", vecSecret}, Now: at(vecTime)}
	for _, tt := range tests {
		// sync.Pool drops some of its items under the race detector; the
		// integer average AllocsPerRun reports stays 0 all the same.
		if n := testing.AllocsPerRun(100, func() { _ = monitehooks.Verify(tt.header, body, p) }); n != 0 {
			t.Errorf("Verify(%s) allocates %v times; want 0", tt.name, n)
		}
	}
	buf := make([]byte, 0, 256)
	secrets := []string{vecSecret, "whsec_old"}
	if n := testing.AllocsPerRun(100, func() { buf = monitehooks.AppendSignature(buf[:0], body, vecTime, secrets) }); n != 0 {
		t.Errorf("AppendSignature() allocates %v times; want 0", n)
	}
}
func FuzzVerify(f *testing.F) {
	secrets := []string{vecSecret, strings.Repeat("k", 100)}
	f.Add(vecHeader, []byte(vecBody), int64(vecUnix))
	f.Add("t=1710139795,v1="+vecV1+",v1="+vecV1, []byte(vecBody), int64(0))
	f.Add("t=1710139795, v1="+vecV1, []byte(vecBody), int64(-1))
	f.Add("t=1,t=2", []byte{}, int64(1<<40))
	f.Add(",,=,v1=", []byte("x"), int64(1))
	f.Add("t=99999999999999999999", []byte(nil), int64(253402300799))
	f.Add("v0=abc,t=0,v1="+strings.Repeat("F", 64), []byte("{}"), int64(-1<<63))

	f.Fuzz(func(t *testing.T, header string, body []byte, unix int64) {
		// Verify never panics, and accepts only a header that carries the
		// HMAC of its own t and this body.
		p := monitehooks.VerifyParams{Secrets: secrets, Tolerance: -1}
		err := monitehooks.Verify(header, body, p)
		if err != nil && !isSentinel(err) {
			t.Fatalf("Verify(%q) = %v; want one of the sentinels", header, err)
		}
		if err == nil {
			var ts string
			var v1s []string
			for part := range strings.SplitSeq(header, ",") {
				k, v, _ := strings.Cut(part, "=")
				switch k {
				case "t":
					ts = v
				case "v1":
					v1s = append(v1s, strings.ToLower(v))
				}
			}
			ok := false
			for _, s := range secrets {
				want := refMAC(s, ts, body)
				for _, v1 := range v1s {
					ok = ok || v1 == want
				}
			}
			if !ok {
				t.Fatalf("Verify(%q) = nil; no v1 is the HMAC of t=%q and the body", header, ts)
			}
		}
		p.Tolerance, p.Now = 0, at(time.Unix(unix, 0))
		if err2 := monitehooks.Verify(header, body, p); err == nil && err2 != nil && !errors.Is(err2, monitehooks.ErrTimestampTooOld) && !errors.Is(err2, monitehooks.ErrTimestampTooNew) {
			t.Fatalf("Verify(%q) with a tolerance = %v; want nil or a timestamp error as without", header, err2)
		}

		// Round trip: whatever the body and (post-1970) time, Verify accepts
		// what Sign made.
		if unix < 0 {
			unix = -(unix + 1)
		}
		tm := time.Unix(unix%253402300800, 0) // before year 10000
		signed := monitehooks.Sign(body, tm, secrets...)
		if strings.ContainsAny(signed, " \t\r\n") {
			t.Fatalf("Sign() = %q; want no spaces", signed)
		}
		for _, s := range secrets {
			p := monitehooks.VerifyParams{Secrets: []string{s}, Now: at(tm)}
			if err := monitehooks.Verify(signed, body, p); err != nil {
				t.Fatalf("Verify(Sign(body, %v)) = %v; want nil", tm, err)
			}
		}
	})
}

func BenchmarkSign(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 250)
	secrets := []string{monitehooks.NewSecret()}
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		buf = monitehooks.AppendSignature(buf[:0], body, vecTime, secrets)
	}
}

func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 250)
	secret := monitehooks.NewSecret()
	header := monitehooks.Sign(body, vecTime, secret)
	headers := []struct{ name, header string }{
		{name: "valid", header: header},
		{name: "no_valid_signature", header: "t=1710139795,v1=" + strings.Repeat("0", 64)},
		{name: "too_old", header: "t=1710130000,v1=" + strings.Repeat("0", 64)},
		{name: "malformed", header: "t=1710139795,v1=zz"},
	}
	for _, h := range headers {
		b.Run(h.name, func(b *testing.B) {
			p := monitehooks.VerifyParams{Secrets: []string{secret}, Now: at(vecTime)}
			if err := monitehooks.Verify(h.header, body, p); (err == nil) != (h.name == "valid") {
				b.Fatalf("Verify(%q) = %v", h.header, err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = monitehooks.Verify(h.header, body, p)
			}
		})
	}
}
