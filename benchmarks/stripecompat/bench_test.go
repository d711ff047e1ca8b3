package stripecompat

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/stripe/stripe-go/v82/webhook"
)

// verifiers returns the two implementations checking the same valid,
// single-secret header over body250. The header is made now, so it stays
// within both tolerances for the benchmark's duration.
func verifiers(b *testing.B) (mh, st func() error) {
	secrets := []string{secretA}
	header := monitehooks.Sign(body250, time.Now(), secretA)
	mh = func() error {
		return monitehooks.Verify(header, body250, monitehooks.VerifyParams{Secrets: secrets})
	}
	st = func() error {
		return webhook.ValidatePayload(body250, header, secretA)
	}
	for _, f := range []func() error{mh, st} {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	return mh, st
}

// signers returns the two implementations signing body250 with one secret:
// monitehooks appending the whole header to a reused buffer, stripe
// computing the MAC and hex-encoding it.
func signers(b *testing.B) (mh, st func() error) {
	at := time.Now()
	secrets := []string{secretA}
	buf := make([]byte, 0, 128)
	mh = func() error {
		buf = monitehooks.AppendSignature(buf[:0], body250, at, secrets)
		return nil
	}
	var sig string
	st = func() error {
		sig = hex.EncodeToString(webhook.ComputeSignature(at, body250, secretA))
		return nil
	}
	mh()
	st()
	if want := "v1=" + sig; string(buf[len(buf)-len(want):]) != want {
		b.Fatalf("monitehooks signed %q, stripe %q", buf, sig)
	}
	return mh, st
}

func BenchmarkVerify(b *testing.B) {
	mh, st := verifiers(b)
	b.Run("monitehooks", func(b *testing.B) { benchOne(b, mh) })
	b.Run("stripe", func(b *testing.B) { benchOne(b, st) })
}

func BenchmarkSign(b *testing.B) {
	mh, st := signers(b)
	b.Run("monitehooks", func(b *testing.B) { benchOne(b, mh) })
	b.Run("stripe", func(b *testing.B) { benchOne(b, st) })
}

// BenchmarkVerifyRatio runs both verifiers in the same benchmark, in
// alternation, so that the reported ratio (monitehooks ÷ stripe) compares
// them under the same machine load.
func BenchmarkVerifyRatio(b *testing.B) {
	mh, st := verifiers(b)
	benchRatio(b, mh, st)
}

// BenchmarkSignRatio is BenchmarkVerifyRatio for signing.
func BenchmarkSignRatio(b *testing.B) {
	mh, st := signers(b)
	benchRatio(b, mh, st)
}

func benchOne(b *testing.B, f func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
}

// ratioBlock is how many calls each half of a b.Loop iteration makes, so
// that the two time.Now calls timing a half weigh little against it.
const ratioBlock = 16

// benchRatio times mh and st in alternating halves of each b.Loop
// iteration (which goes first alternates too, against order effects) and
// reports monitehooks-ns/op, stripe-ns/op and their ratio. The built-in
// ns/op, per iteration of 2*ratioBlock calls, is suppressed as misleading;
// the B/op and allocs/op that -benchmem adds cannot be, and are also per
// iteration of both sides together: see BenchmarkVerify and BenchmarkSign
// for each side's allocations.
func benchRatio(b *testing.B, mh, st func() error) {
	half := func(f func() error) time.Duration {
		start := time.Now()
		for range ratioBlock {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var mhTime, stTime time.Duration
	var n int
	for b.Loop() {
		if n%2 == 0 {
			mhTime += half(mh)
			stTime += half(st)
		} else {
			stTime += half(st)
			mhTime += half(mh)
		}
		n++
	}
	calls := float64(n * ratioBlock)
	mhNs := float64(mhTime.Nanoseconds()) / calls
	stNs := float64(stTime.Nanoseconds()) / calls
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mhNs, "monitehooks-ns/op")
	b.ReportMetric(stNs, "stripe-ns/op")
	b.ReportMetric(mhNs/stNs, "ratio")
}
