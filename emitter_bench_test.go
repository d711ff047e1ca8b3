package monitehooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// snapshot250 is a 250-byte JSON object, the body size the benchmarks use.
var snapshot250 = []byte(`{"name":"Acme Corporation","status":"active","legal_form":"GmbH","address":{"line1":"Hauptstrasse 1","city":"Berlin","postal_code":"10115","country":"DE"},"email":"billing@acme.example","phone":"+49301234567","tax_id":"DE123456789","note":"xxxxxxxx"}`)

// counter signals when a number of deliveries have finished.
type counter struct {
	n       atomic.Int64
	target  atomic.Int64
	only    atomic.Pointer[string] // when set, counts deliveries to this subscription only
	reached chan struct{}
}

func newCounter() *counter { return &counter{reached: make(chan struct{}, 1)} }

func (c *counter) expect(n int64) {
	c.n.Store(0)
	c.target.Store(n)
}

func (c *counter) done(info monitehooks.DeliveryInfo) {
	if only := c.only.Load(); only != nil && *only != info.SubscriptionID {
		return
	}
	if c.n.Add(1) == c.target.Load() {
		c.reached <- struct{}{}
	}
}

func (c *counter) wait(tb testing.TB) {
	tb.Helper()
	select {
	case <-c.reached:
	case <-time.After(5 * time.Minute):
		tb.Fatalf("only %d of %d deliveries finished", c.n.Load(), c.target.Load())
	}
}

// benchEmitter is an emitter over memstore with one partner.
type benchEmitter struct {
	reg   *monitehooks.Registry
	em    *monitehooks.Emitter
	store *memstore.Store
	done  *counter
}

func newBenchEmitter(tb testing.TB, cfg *monitehooks.EmitterConfig) *benchEmitter {
	tb.Helper()
	ctx := context.Background()
	be := &benchEmitter{store: memstore.New(), done: newCounter()}
	reg, err := monitehooks.NewRegistry(ctx, be.store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		tb.Fatal(err)
	}
	be.reg = reg
	cfg.AllowPrivateNetworks = true
	cfg.Observer = &monitehooks.Observer{DeliveryDone: be.done.done}
	em, err := monitehooks.NewEmitter(be.store, reg, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { em.Close() })
	be.em = em
	return be
}

func (be *benchEmitter) subscribe(tb testing.TB, partner string, ot monitehooks.ObjectType, url string) string {
	tb.Helper()
	s, err := be.reg.Create(context.Background(), monitehooks.SubscriptionParams{PartnerID: partner, ObjectType: ot, URL: url})
	if err != nil {
		tb.Fatal(err)
	}
	return s.ID
}

func (be *benchEmitter) emit(tb testing.TB, partner string, ot monitehooks.ObjectType) {
	_, err := be.em.Emit(context.Background(), monitehooks.Event{
		PartnerID: partner, ObjectType: ot, Type: "created", ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Object: snapshot250,
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// okServer answers every request 200 at once after reading its body.
func okServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkDeliveryThroughput compares the emitter delivering to a local
// receiver at concurrency 64 with a bare net/http client loop posting the
// same body to the same receiver at the same concurrency, in one run:
// ratio = deliveries/s ÷ baseline/s, the goal ≥ 0.9.
//
// With receiver=instant the receiver answers at once, so both sides are
// bound by the CPU they share with it, and the ratio is the emitter's CPU
// cost per delivery (Emit, storing, claiming, signing, recording) against
// a bare POST's. With receiver=1ms it answers after a millisecond, like an
// endpoint across a network, so both are bound by latency.
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, latency := range []time.Duration{0, time.Millisecond} {
		name := "receiver=instant"
		if latency > 0 {
			name = "receiver=" + latency.String()
		}
		b.Run(name, func(b *testing.B) { benchmarkThroughput(b, latency) })
	}
}

func benchmarkThroughput(b *testing.B, latency time.Duration) {
	const concurrency, batch = 64, 2000
	var first atomic.Pointer[[]byte] // the first body received: a delivery's
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.Load() == nil {
			body, _ := io.ReadAll(r.Body)
			first.CompareAndSwap(nil, &body)
		}
		io.Copy(io.Discard, r.Body)
		if latency > 0 {
			t := time.NewTimer(latency) // the simulated network, not a wait for an event
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
			}
		}
	}))
	b.Cleanup(srv.Close)
	be := newBenchEmitter(b, &monitehooks.EmitterConfig{Workers: concurrency, PerSubscription: concurrency})
	be.subscribe(b, "p", "entity", srv.URL)
	// The baseline posts the body of a real delivery.
	be.done.expect(1)
	be.emit(b, "p", "entity")
	be.done.wait(b)
	body := *first.Load()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxIdleConns: concurrency}}
	b.Cleanup(client.CloseIdleConnections)

	var emitterTime, baselineTime time.Duration
	for i := 0; b.Loop(); i++ {
		// Batches alternate which side runs first, so that warm-up and
		// machine noise fall on both alike.
		runs := []func(){
			func() {
				start := time.Now()
				be.done.expect(batch)
				for range batch {
					be.emit(b, "p", "entity")
				}
				be.done.wait(b)
				emitterTime += time.Since(start)
			},
			func() {
				start := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				for range concurrency {
					wg.Go(func() {
						for next.Add(1) <= batch {
							resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
					})
				}
				wg.Wait()
				baselineTime += time.Since(start)
			},
		}
		if i%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
		}
		runs[0]()
		runs[1]()
	}
	n := float64(b.N * batch)
	emitterRate, baselineRate := n/emitterTime.Seconds(), n/baselineTime.Seconds()
	b.ReportMetric(emitterRate, "deliveries/s")
	b.ReportMetric(baselineRate, "baseline/s")
	b.ReportMetric(emitterRate/baselineRate, "ratio")
}

// BenchmarkEmit measures Emit with one matching subscription among 0 and
// among 10,000 others (other partners, and the partner's other object
// types), without and with a 250-byte object. The deliveries are due in an
// hour, so no worker runs during the benchmark. Goal: ≤ 1 µs and ≤ 4
// allocs per Emit.
func BenchmarkEmit(b *testing.B) {
	for _, tc := range []struct {
		others int
		object []byte
	}{{0, nil}, {10_000, nil}, {10_000, snapshot250}} {
		name := fmt.Sprintf("others=%d/object=%dB", tc.others, len(tc.object))
		b.Run(name, func(b *testing.B) {
			be := newBenchEmitter(b, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}})
			types := monitehooks.DefaultCatalog.ObjectTypes()
			for i := range tc.others {
				partner, ot := fmt.Sprintf("partner-%d", i%100), types[i%len(types)]
				if partner == "partner-0" && ot == "entity" {
					partner = "partner-x"
				}
				be.subscribe(b, partner, ot, "https://example.com/")
			}
			be.subscribe(b, "partner-0", "entity", "https://example.com/")
			ev := monitehooks.Event{PartnerID: "partner-0", ObjectType: "entity", Type: "created",
				ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Object: tc.object}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := be.em.Emit(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEmitFanout measures Emit of an event matching 1, 10 and 100
// subscriptions: one stored event and one delivery per subscription.
func BenchmarkEmitFanout(b *testing.B) {
	for _, fanout := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("matching=%d", fanout), func(b *testing.B) {
			be := newBenchEmitter(b, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}})
			for i := range fanout {
				be.subscribe(b, "p", "entity", fmt.Sprintf("https://h%d.example/", i))
			}
			ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created",
				ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Object: snapshot250}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := be.em.Emit(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fanout), "ns/delivery")
		})
	}
}

// BenchmarkPendingDeliveryMemory reports the heap held per pending delivery
// when events with a 250-byte object fan out to 10 subscriptions. Goal:
// ≤ 500 bytes per pending delivery (the object is stored once per event).
func BenchmarkPendingDeliveryMemory(b *testing.B) {
	const events, fanout = 5_000, 10
	for b.Loop() {
		b.StopTimer()
		be := newBenchEmitter(b, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}})
		for i := range fanout {
			be.subscribe(b, "p", "entity", fmt.Sprintf("https://h%d.example/", i))
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for range events {
			be.emit(b, "p", "entity")
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(events*fanout), "bytes/delivery")
		runtime.KeepAlive(be)
		be.em.Close()
		b.StartTimer()
	}
}

// BenchmarkSlowEndpointIsolation measures a fast endpoint's throughput
// alone and while another endpoint, with a backlog, takes 1 s per request;
// ratio = with ÷ alone, the goal ≥ 0.9.
func BenchmarkSlowEndpointIsolation(b *testing.B) {
	fast := okServer(b)
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	b.Cleanup(slow.Close)
	b.Cleanup(func() { close(stop) })

	measure := func(withSlow bool, n int) time.Duration {
		be := newBenchEmitter(b, &monitehooks.EmitterConfig{})
		defer be.em.Close()
		fastID := be.subscribe(b, "p", "entity", fast.URL)
		be.done.only.Store(&fastID)
		if withSlow {
			be.subscribe(b, "p", "role", slow.URL)
			for range 1000 {
				be.emit(b, "p", "role")
			}
		}
		be.done.expect(int64(n))
		start := time.Now()
		for range n {
			be.emit(b, "p", "entity")
		}
		be.done.wait(b)
		return time.Since(start)
	}
	var alone, with time.Duration
	const batch = 2000
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			alone += measure(false, batch)
			with += measure(true, batch)
		} else {
			with += measure(true, batch)
			alone += measure(false, batch)
		}
	}
	n := float64(b.N * batch)
	b.ReportMetric(n/alone.Seconds(), "alone/s")
	b.ReportMetric(n/with.Seconds(), "with-slow/s")
	b.ReportMetric(alone.Seconds()/with.Seconds(), "ratio")
}
