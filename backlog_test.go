package monitehooks_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// logRecorder is a slog.Handler that keeps every record, for tests that
// check what was logged. It is safe for concurrent use.
type logRecorder struct {
	mu      sync.Mutex // guards records
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// find returns the attributes of the records at the level whose message
// is msg, one map per record, values as text.
func (h *logRecorder) find(level slog.Level, msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var found []map[string]string
	for _, r := range h.records {
		if r.Level != level || r.Message != msg {
			continue
		}
		attrs := make(map[string]string)
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		found = append(found, attrs)
	}
	return found
}

// plainStore is a store with none of the optional interfaces: it does not
// say whether it is durable, so the emitter takes it to be, and it is no
// Holder.
type plainStore struct{ monitehooks.Store }

const lostMsg = "monitehooks: emitter stopped; pending deliveries are lost with this store"

func TestStopWarnsOfLostPending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		durable  bool
		pending  int
		shutdown bool   // Shutdown then Close; otherwise Close alone
		wantWarn string // the pending count of the warning; "" for none
		wantInfo bool   // whether the counts are logged (once)
	}{
		{name: "shutdown with pending", pending: 3, shutdown: true, wantWarn: "3", wantInfo: true},
		{name: "close with pending", pending: 2, wantWarn: "2", wantInfo: true},
		{name: "shutdown with nothing pending", shutdown: true, wantInfo: true},
		{name: "close with nothing pending", wantInfo: true},
		{name: "durable store, shutdown", durable: true, pending: 3, shutdown: true, wantInfo: true},
		{name: "durable store, close", durable: true, pending: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupRegistry(t, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "http://127.0.0.1:1/"})
			logs := &logRecorder{}
			store := b.store
			if tt.durable {
				store = plainStore{store}
			}
			em, err := monitehooks.NewEmitter(store, b.reg, &monitehooks.EmitterConfig{
				Now:         b.clock.Now,
				RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}, // nothing is attempted
				Logger:      slog.New(logs),
			})
			if err != nil {
				t.Fatalf("NewEmitter: %v", err)
			}
			for range tt.pending {
				if _, err := em.Emit(t.Context(), monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}); err != nil {
					t.Fatalf("Emit: %v", err)
				}
			}
			if tt.shutdown {
				if err := em.Shutdown(t.Context()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			}
			em.Close()
			em.Close()

			warns := logs.find(slog.LevelWarn, lostMsg)
			switch {
			case tt.wantWarn == "" && len(warns) > 0:
				t.Errorf("warned %v; want no warning", warns)
			case tt.wantWarn != "" && (len(warns) != 1 || warns[0]["pending"] != tt.wantWarn):
				t.Errorf("warnings %v; want one with pending=%s", warns, tt.wantWarn)
			}
			if infos := logs.find(slog.LevelInfo, "monitehooks: emitter stopped"); (len(infos) == 1) != tt.wantInfo || len(infos) > 1 {
				t.Errorf("INFO emitter stopped logged %d times; want it: %v", len(infos), tt.wantInfo)
			}
		})
	}
}

func TestMaxPending(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		MaxPending:  3,
		RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}, // nothing is attempted
	})
	for range 2 {
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "http://127.0.0.1:1/"})
	}
	b.emit(t, monitehooks.Event{}) // 2 pending

	_, err := b.em.Emit(t.Context(), monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"})
	if !errors.Is(err, monitehooks.ErrBacklogFull) {
		t.Fatalf("Emit of 2 deliveries more, past a bound of 3: err = %v; want ErrBacklogFull", err)
	}
	counts, _ := b.store.CountDeliveries(t.Context())
	page, _ := b.store.ListEvents(t.Context(), "partner-a", monitehooks.ListParams{})
	if counts.Pending != 2 || len(page.Data) != 1 {
		t.Errorf("after the refused Emit: %d pending, %d events; want 2 and 1 (nothing stored)", counts.Pending, len(page.Data))
	}
	// An event no subscription matches adds no delivery.
	if _, err := b.em.Emit(t.Context(), monitehooks.Event{PartnerID: "partner-b", ObjectType: "entity", Type: "created", ObjectID: "o"}); err != nil {
		t.Errorf("Emit of an event without deliveries at the bound: %v", err)
	}

	_, err = monitehooks.NewEmitter(b.store, b.reg, &monitehooks.EmitterConfig{MaxPending: -1})
	if err == nil || !strings.Contains(err.Error(), "MaxPending") {
		t.Errorf("NewEmitter with MaxPending -1: err = %v; want one naming MaxPending", err)
	}
}
