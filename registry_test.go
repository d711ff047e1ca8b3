package monitehooks_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// newTestClock returns the harness's manual clock at a fixed time.
func newTestClock() *webhooktest.Clock {
	return webhooktest.NewClock(time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC))
}

type registryBundle struct {
	clock *webhooktest.Clock
	store monitehooks.Store
	reg   *monitehooks.Registry
}

func setupRegistry(t *testing.T, cfg *monitehooks.RegistryConfig) *registryBundle {
	t.Helper()
	b := &registryBundle{clock: newTestClock(), store: memstore.New()}
	if cfg == nil {
		cfg = &monitehooks.RegistryConfig{}
	}
	cfg.Now = b.clock.Now
	reg, err := monitehooks.NewRegistry(context.Background(), b.store, cfg)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	b.reg = reg
	return b
}

func (b *registryBundle) create(t *testing.T, p monitehooks.SubscriptionParams) monitehooks.Subscription {
	t.Helper()
	if p.PartnerID == "" {
		p.PartnerID = "partner-a"
	}
	if p.URL == "" {
		p.URL = "https://example.com/hook"
	}
	s, err := b.reg.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("Create(%+v): %v", p, err)
	}
	return s
}

func ids(subs []*monitehooks.Subscription) []string {
	out := []string{}
	for _, s := range subs {
		out = append(out, s.ID)
	}
	return out
}

func TestRegistryCreateValidation(t *testing.T) {
	t.Parallel()
	valid := monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: "https://example.com/hook"}
	tests := []struct {
		name   string
		mutate func(p *monitehooks.SubscriptionParams)
		want   []monitehooks.FieldError
	}{
		{"missing everything", func(p *monitehooks.SubscriptionParams) { *p = monitehooks.SubscriptionParams{} }, []monitehooks.FieldError{
			{Field: "partner_id", Index: -1, Kind: monitehooks.KindMissing},
			{Field: "object_type", Index: -1, Kind: monitehooks.KindMissing},
			{Field: "url", Index: -1, Kind: monitehooks.KindMissing},
		}},
		{"unknown object type", func(p *monitehooks.SubscriptionParams) { p.ObjectType = "payable" }, []monitehooks.FieldError{
			{Field: "object_type", Index: -1, Kind: monitehooks.KindEnum},
		}},
		{"unknown and repeated event types", func(p *monitehooks.SubscriptionParams) {
			p.EventTypes = []monitehooks.EventType{"created", "deleted", "created"}
		}, []monitehooks.FieldError{
			{Field: "event_types", Index: 1, Kind: monitehooks.KindEnum},
			{Field: "event_types", Index: 2, Kind: monitehooks.KindInvalid},
		}},
		{"http url", func(p *monitehooks.SubscriptionParams) { p.URL = "http://example.com/" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"relative url", func(p *monitehooks.SubscriptionParams) { p.URL = "/hook" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"ftp url", func(p *monitehooks.SubscriptionParams) { p.URL = "ftp://example.com/" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"user info", func(p *monitehooks.SubscriptionParams) { p.URL = "https://user:pw@example.com/" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"no host", func(p *monitehooks.SubscriptionParams) { p.URL = "https:///path" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"bad port", func(p *monitehooks.SubscriptionParams) { p.URL = "https://example.com:99999/" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"header injection", func(p *monitehooks.SubscriptionParams) { p.URL = "https://example.com/\r\nX-Evil: 1" }, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindURL},
		}},
		{"too long url", func(p *monitehooks.SubscriptionParams) {
			p.URL = "https://example.com/" + strings.Repeat("a", monitehooks.MaxURLLength)
		}, []monitehooks.FieldError{
			{Field: "url", Index: -1, Kind: monitehooks.KindTooLong},
		}},
		{"too long name", func(p *monitehooks.SubscriptionParams) { p.Name = strings.Repeat("é", monitehooks.MaxNameLength+1) }, []monitehooks.FieldError{
			{Field: "name", Index: -1, Kind: monitehooks.KindTooLong},
		}},
		{"control character in name", func(p *monitehooks.SubscriptionParams) { p.Name = "a\nb" }, []monitehooks.FieldError{
			{Field: "name", Index: -1, Kind: monitehooks.KindInvalid},
		}},
		{"bad format and version", func(p *monitehooks.SubscriptionParams) { p.APIFormat = "xml"; p.APIVersion = "yesterday" }, []monitehooks.FieldError{
			{Field: "api_format", Index: -1, Kind: monitehooks.KindEnum},
			{Field: "api_version", Index: -1, Kind: monitehooks.KindInvalid},
		}},
	}
	b := setupRegistry(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid
			tt.mutate(&p)
			_, err := b.reg.Create(context.Background(), p)
			var verr *monitehooks.ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, monitehooks.ErrInvalid) {
				t.Fatalf("Create() error = %v; want a *ValidationError wrapping ErrInvalid", err)
			}
			if diff := cmp.Diff(tt.want, verr.Fields, cmpopts.IgnoreFields(monitehooks.FieldError{}, "Message")); diff != "" {
				t.Errorf("Create() field errors mismatch (-want +got):\n%s", diff)
			}
			for _, f := range verr.Fields {
				if f.Message == "" || !strings.Contains(err.Error(), f.Field) {
					t.Errorf("Error() = %q; want it to name field %q with a message", err, f.Field)
				}
			}
		})
	}
	page, err := b.reg.List(context.Background(), "p", monitehooks.ListParams{})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("after invalid creates, List() = %v, %v; want nothing stored", page.Data, err)
	}
}

func TestRegistryCreate(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	got := b.create(t, monitehooks.SubscriptionParams{
		ObjectType: "role", EventTypes: []monitehooks.EventType{"created"}, Name: "roles", APIFormat: monitehooks.FormatSettings,
	})
	now := b.clock.Now()
	want := monitehooks.Subscription{
		ID: got.ID, PartnerID: "partner-a", ObjectType: "role", EventTypes: []monitehooks.EventType{"created"},
		URL: "https://example.com/hook", Name: "roles", Status: monitehooks.StatusEnabled,
		APIFormat: monitehooks.FormatSettings, APIVersion: monitehooks.DefaultAPIVersion,
		Secrets: got.Secrets, CreatedAt: now, UpdatedAt: now,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create() mismatch (-want +got):\n%s", diff)
	}
	if len(got.Secrets) != 1 || !strings.HasPrefix(got.CurrentSecret(), "whsec_") {
		t.Fatalf("Secrets = %+v; want one whsec_ secret", got.Secrets)
	}
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got.CurrentSecret(), "whsec_")); err != nil || len(raw) != 32 {
		t.Errorf("secret decodes to %d bytes, %v; want 32", len(raw), err)
	}
	fetched, err := b.reg.Get(context.Background(), "partner-a", got.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(got, fetched); diff != "" {
		t.Errorf("Get() mismatch (-want +got):\n%s", diff)
	}
	other := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity"})
	if other.APIFormat != monitehooks.FormatSubscriptions {
		t.Errorf("default APIFormat = %q; want %q", other.APIFormat, monitehooks.FormatSubscriptions)
	}
	if other.CurrentSecret() == got.CurrentSecret() {
		t.Errorf("two subscriptions got the same secret")
	}
}

func TestRegistryTenancy(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	ctx := context.Background()
	s := b.create(t, monitehooks.SubscriptionParams{PartnerID: "partner-a", ObjectType: "entity"})
	url := "https://evil.example/"
	calls := map[string]func() error{
		"Get": func() error { _, err := b.reg.Get(ctx, "partner-b", s.ID); return err },
		"Update": func() error {
			_, err := b.reg.Update(ctx, "partner-b", s.ID, monitehooks.SubscriptionUpdate{URL: &url})
			return err
		},
		"Enable":  func() error { _, err := b.reg.Enable(ctx, "partner-b", s.ID); return err },
		"Disable": func() error { _, err := b.reg.Disable(ctx, "partner-b", s.ID); return err },
		"Regenerate": func() error {
			_, err := b.reg.RegenerateSecret(ctx, "partner-b", s.ID, 0)
			return err
		},
		"Delete":      func() error { return b.reg.Delete(ctx, "partner-b", s.ID) },
		"Get unknown": func() error { _, err := b.reg.Get(ctx, "partner-a", "nope"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) || !errors.Is(err, monitehooks.ErrNotFound) {
			t.Errorf("%s with another partner's ID: error = %v; want ErrSubscriptionNotFound", name, err)
		}
	}
	if got, err := b.reg.Get(ctx, "partner-a", s.ID); err != nil || got.URL != s.URL || got.Status != monitehooks.StatusEnabled {
		t.Errorf("after another partner's calls, Get() = %+v, %v; want it unchanged", got, err)
	}
	if got := b.reg.Match("partner-b", "entity", "created"); len(got) != 0 {
		t.Errorf("Match(partner-b) = %v; want none", ids(got))
	}
}

func TestRegistryMatch(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	ctx := context.Background()
	all := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity"})
	created := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", EventTypes: []monitehooks.EventType{"created"}})
	role := b.create(t, monitehooks.SubscriptionParams{ObjectType: "role"})
	b.create(t, monitehooks.SubscriptionParams{PartnerID: "partner-b", ObjectType: "entity"})

	check := func(step string, ot monitehooks.ObjectType, et monitehooks.EventType, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if diff := cmp.Diff(want, ids(b.reg.Match("partner-a", ot, et))); diff != "" {
			t.Errorf("%s: Match(%s, %s) mismatch (-want +got):\n%s", step, ot, et, diff)
		}
	}
	check("start", "entity", "created", all.ID, created.ID)
	check("start", "entity", "updated", all.ID)
	check("start", "role", "deleted", role.ID)
	check("start", "comment", "created")
	check("start", "entity", "deleted")

	if _, err := b.reg.Disable(ctx, "partner-a", all.ID); err != nil {
		t.Fatal(err)
	}
	check("disabled", "entity", "created", created.ID)
	check("disabled", "entity", "updated")

	if _, err := b.reg.Enable(ctx, "partner-a", all.ID); err != nil {
		t.Fatal(err)
	}
	check("enabled", "entity", "updated", all.ID)

	ot, ets := monitehooks.ObjectType("role"), []monitehooks.EventType{"deleted"}
	if _, err := b.reg.Update(ctx, "partner-a", created.ID, monitehooks.SubscriptionUpdate{ObjectType: &ot, EventTypes: &ets}); err != nil {
		t.Fatal(err)
	}
	check("moved", "entity", "created", all.ID)
	check("moved", "role", "deleted", role.ID, created.ID)
	check("moved", "role", "created", role.ID)

	if err := b.reg.Delete(ctx, "partner-a", role.ID); err != nil {
		t.Fatal(err)
	}
	check("deleted", "role", "deleted", created.ID)
	if _, err := b.reg.Get(ctx, "partner-a", role.ID); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
		t.Errorf("Get(deleted) error = %v; want ErrSubscriptionNotFound", err)
	}

	// A new registry over the same store rebuilds the same index.
	reg2, err := monitehooks.NewRegistry(ctx, b.store, &monitehooks.RegistryConfig{Now: b.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(b.reg.Match("partner-a", "role", "deleted")), ids(reg2.Match("partner-a", "role", "deleted"))); diff != "" {
		t.Errorf("reloaded Match mismatch (-want +got):\n%s", diff)
	}
}

func TestRegistryUpdate(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	ctx := context.Background()
	s := b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", EventTypes: []monitehooks.EventType{"deleted"}})
	b.clock.Advance(time.Minute)

	// Moving to an object type that lacks the kept event types is refused
	// and changes nothing.
	entity := monitehooks.ObjectType("entity")
	_, err := b.reg.Update(ctx, "partner-a", s.ID, monitehooks.SubscriptionUpdate{ObjectType: &entity})
	var verr *monitehooks.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0].Field != "event_types" {
		t.Fatalf("Update(object_type without its event types) error = %v; want event_types named", err)
	}
	badURL := "http://insecure.example/"
	if _, err := b.reg.Update(ctx, "partner-a", s.ID, monitehooks.SubscriptionUpdate{URL: &badURL}); !errors.Is(err, monitehooks.ErrInvalid) {
		t.Fatalf("Update(http URL) error = %v; want ErrInvalid", err)
	}
	if got, _ := b.reg.Get(ctx, "partner-a", s.ID); !cmp.Equal(got, s) {
		t.Fatalf("refused updates changed the subscription (-want +got):\n%s", cmp.Diff(s, got))
	}

	url, name, ets := "https://new.example/h", "renamed", []monitehooks.EventType{}
	got, err := b.reg.Update(ctx, "partner-a", s.ID, monitehooks.SubscriptionUpdate{URL: &url, Name: &name, EventTypes: &ets})
	if err != nil {
		t.Fatal(err)
	}
	want := s
	want.URL, want.Name, want.EventTypes, want.UpdatedAt = url, name, []monitehooks.EventType{}, b.clock.Now()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Update() mismatch (-want +got):\n%s", diff)
	}
	if got := ids(b.reg.Match("partner-a", "role", "created")); !cmp.Equal(got, []string{s.ID}) {
		t.Errorf("after clearing event types, Match(role, created) = %v; want [%s]", got, s.ID)
	}
}

func TestRegistryRegenerateSecret(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	ctx := context.Background()
	s := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity"})
	first := s.CurrentSecret()

	// Immediate (Monite's default): the old secret is gone.
	s2, err := b.reg.RegenerateSecret(ctx, "partner-a", s.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	second := s2.CurrentSecret()
	if second == first || len(s2.Secrets) != 1 {
		t.Fatalf("after immediate rotation Secrets = %+v; want one new secret", s2.Secrets)
	}

	// With an overlap the previous secret stays live until it expires.
	s3, err := b.reg.RegenerateSecret(ctx, "partner-a", s.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	third := s3.CurrentSecret()
	now := b.clock.Now()
	want := []monitehooks.Secret{{Value: third}, {Value: second, ExpiresAt: now.Add(time.Hour)}}
	if diff := cmp.Diff(want, s3.Secrets); diff != "" {
		t.Fatalf("Secrets mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{third, second}, s3.LiveSecrets(nil, now.Add(59*time.Minute))); diff != "" {
		t.Errorf("LiveSecrets within the overlap (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{third}, s3.LiveSecrets(nil, now.Add(time.Hour))); diff != "" {
		t.Errorf("LiveSecrets after the overlap (-want +got):\n%s", diff)
	}

	// A rotation after the overlap ended drops the expired secret.
	b.clock.Advance(2 * time.Hour)
	s4, err := b.reg.RegenerateSecret(ctx, "partner-a", s.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(s4.Secrets) != 2 || s4.Secrets[1].Value != third {
		t.Errorf("Secrets = %+v; want the new one and %q only", s4.Secrets, third)
	}

	for _, bad := range []time.Duration{-time.Second, monitehooks.MaxSecretOverlap + time.Second} {
		_, err := b.reg.RegenerateSecret(ctx, "partner-a", s.ID, bad)
		var verr *monitehooks.ValidationError
		if !errors.As(err, &verr) || verr.Fields[0].Field != "expire_previous_in_seconds" {
			t.Errorf("RegenerateSecret(%v) error = %v; want expire_previous_in_seconds named", bad, err)
		}
	}
}

func TestRegistryCatalogAndInsecure(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, &monitehooks.RegistryConfig{Catalog: monitehooks.MoniteCatalog, AllowInsecureURLs: true})
	s := b.create(t, monitehooks.SubscriptionParams{ObjectType: "payable", URL: "http://127.0.0.1:9000/hook"})
	if got := ids(b.reg.Match("partner-a", "payable", "ocr_finished")); !cmp.Equal(got, []string{s.ID}) {
		t.Errorf("Match(payable, ocr_finished) = %v; want [%s]", got, s.ID)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				s, err := b.reg.Create(ctx, monitehooks.SubscriptionParams{
					PartnerID: "partner-a", ObjectType: "entity", URL: fmt.Sprintf("https://h%d.example/%d", g, i),
				})
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if _, err := b.reg.Disable(ctx, "partner-a", s.ID); err != nil {
						t.Error(err)
					}
				}
			}
		})
		wg.Go(func() {
			for range 200 {
				for _, s := range b.reg.Match("partner-a", "entity", "created") {
					if s.Status != monitehooks.StatusEnabled {
						t.Errorf("Match returned disabled %s", s.ID)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if got := len(b.reg.Match("partner-a", "entity", "created")); got != 4*12 {
		t.Errorf("len(Match) = %d; want %d", got, 4*12)
	}
}

// TestRegistryOutcomesOutOfOrder: attempts to one subscription finish in
// any order, so a slow failure recorded after a later success must not
// start a failure record, and only continuous failure disables.
func TestRegistryOutcomesOutOfOrder(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	s := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity"})
	t0, day := b.clock.Now(), 24*time.Hour
	const after = 5 * 24 * time.Hour
	steps := []struct {
		name         string
		ok           bool
		at           time.Time
		wantSince    time.Time
		wantDisabled bool
	}{
		{"a success", true, t0.Add(time.Second), time.Time{}, false},
		{"a failure that started before it, recorded after", false, t0, time.Time{}, false},
		{"a failure that started after it", false, t0.Add(2 * time.Second), t0.Add(2 * time.Second), false},
		{"a success that started before that failure", true, t0.Add(1500 * time.Millisecond), t0.Add(2 * time.Second), false},
		{"failing for less than DisableAfter", false, t0.Add(2*time.Second + after - time.Second), t0.Add(2 * time.Second), false},
		{"failing for DisableAfter", false, t0.Add(2*time.Second + after), t0.Add(2 * time.Second), true},
		{"a success after re-enabling", true, t0.Add(6 * day), time.Time{}, false},
	}
	for _, st := range steps {
		if st.name == "a success after re-enabling" {
			if _, err := b.reg.Enable(context.Background(), "partner-a", s.ID); err != nil {
				t.Fatal(err)
			}
		}
		disabled, err := monitehooks.RecordOutcome(b.reg, s.ID, st.ok, st.at, after)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, _ := b.reg.Get(context.Background(), "partner-a", s.ID)
		if disabled != st.wantDisabled || !got.FailingSince.Equal(st.wantSince) ||
			(got.Status == monitehooks.StatusDisabled) != st.wantDisabled {
			t.Errorf("%s: disabled %v, status %s, FailingSince %v; want disabled %v, FailingSince %v",
				st.name, disabled, got.Status, got.FailingSince, st.wantDisabled, st.wantSince)
		}
	}
}

// TestOutcomeAfterDelete checks that a success recorded after its
// subscription was deleted, as an attempt in flight can, leaves nothing
// behind in the registry.
func TestOutcomeAfterDelete(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	s := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "https://example.com/hook"})
	if _, err := monitehooks.RecordOutcome(b.reg, s.ID, true, b.clock.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := monitehooks.SuccessEntries(b.reg); n != 1 {
		t.Fatalf("%d success entries after a success; want 1", n)
	}
	if err := b.reg.Delete(context.Background(), "partner-a", s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := monitehooks.RecordOutcome(b.reg, s.ID, true, b.clock.Now().Add(time.Second), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := monitehooks.SuccessEntries(b.reg); n != 0 {
		t.Errorf("%d success entries after Delete and a late success; want 0", n)
	}
}

func TestNewRegistryNilStore(t *testing.T) {
	t.Parallel()
	if _, err := monitehooks.NewRegistry(context.Background(), nil, nil); err == nil || !strings.Contains(err.Error(), "store") {
		t.Errorf("NewRegistry(nil) error = %v; want one naming the store", err)
	}
}

// BenchmarkRegistryMatch measures matching one subscription when the
// registry holds 0 and 10,000 other subscriptions; the two must be within
// 1.1× of each other.
func BenchmarkRegistryMatch(b *testing.B) {
	for _, others := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			ctx := context.Background()
			reg, err := monitehooks.NewRegistry(ctx, memstore.New(), nil)
			if err != nil {
				b.Fatal(err)
			}
			types := monitehooks.DefaultCatalog.ObjectTypes()
			for i := range others {
				// Others: other partners, and this partner's other object types.
				partner := fmt.Sprintf("partner-%d", i%100)
				ot := types[i%len(types)]
				if partner == "partner-0" && ot == "entity" {
					partner = "partner-x"
				}
				if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: partner, ObjectType: ot, URL: "https://example.com/"}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-0", ObjectType: "entity", URL: "https://example.com/"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if len(reg.Match("partner-0", "entity", "updated")) != 1 {
					b.Fatal("no match")
				}
			}
		})
	}
}
