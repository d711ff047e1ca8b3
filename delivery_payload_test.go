package monitehooks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// The values of the wire contract's examples (docs/webhooks.md).
const (
	docSecret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	docEventID  = "9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10"
	docObjectID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	docEntityID = "e7b1f0a2-6c1d-4f4b-9a53-0c2d8e9f1a77"
	docSubID    = "5d1a7c3e-8b2f-4e6a-9c0d-1f2e3a4b5c6d"
	docSettings = `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook","entity_id":"e7b1f0a2-6c1d-4f4b-9a53-0c2d8e9f1a77","webhook_subscription_id":"5d1a7c3e-8b2f-4e6a-9c0d-1f2e3a4b5c6d","created_at":"2024-03-11T06:49:54.12Z"}`
	docSubs     = `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","created_at":"2024-03-11T06:49:54.12Z","action":"entity.updated","api_version":"2024-05-25","description":"entity_updated","entity_id":"e7b1f0a2-6c1d-4f4b-9a53-0c2d8e9f1a77","object":{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"active","organization":{"legal_name":"Acme GmbH"}},"object_type":"entity","webhook_subscription_id":"5d1a7c3e-8b2f-4e6a-9c0d-1f2e3a4b5c6d"}`
)

var (
	docSentAt    = time.Unix(1710139795, 0)
	docCreatedAt = time.Date(2024, 3, 11, 6, 49, 54, 120_000_000, time.UTC)
)

// docParams verifies with the documentation's secret at its time.
func docParams() monitehooks.ParseParams {
	return monitehooks.ParseParams{Secrets: []string{docSecret}, Now: func() time.Time { return docSentAt }}
}

func ptr[T any](v T) *T { return &v }

// accessors are what Payload's methods return.
type accessors struct {
	ID, ObjectID, EntityID, SubscriptionID string
	ObjectType                             monitehooks.ObjectType
	EventType                              monitehooks.EventType
	CreatedAt                              time.Time
}

func accessorsOf(p monitehooks.Payload) accessors {
	return accessors{ID: p.ID(), ObjectID: p.ObjectID(), EntityID: p.EntityID(), SubscriptionID: p.SubscriptionID(),
		ObjectType: p.ObjectType(), EventType: p.EventType(), CreatedAt: p.CreatedAt()}
}

// TestParsePayloadDocExamples decodes the bodies docs/webhooks.md shows,
// the settings one with the signature it gives.
func TestParsePayloadDocExamples(t *testing.T) {
	t.Parallel()
	got, err := monitehooks.ParsePayload(
		"t=1710139795,v1=011dee6e04c5312c143eb6c88cb6779fdbeb120fa83f00b1100f06b9df609855", []byte(docSettings), docParams())
	if err != nil {
		t.Fatalf("ParsePayload(settings example) = %v", err)
	}
	want := monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
		ID: docEventID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "My webhook",
		EntityID: docEntityID, WebhookSubscriptionID: docSubID, CreatedAt: docCreatedAt,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings example (-want +got):\n%s", diff)
	}

	got, err = monitehooks.ParsePayload(monitehooks.Sign([]byte(docSubs), docSentAt, docSecret), []byte(docSubs), docParams())
	if err != nil {
		t.Fatalf("ParsePayload(subscriptions example) = %v", err)
	}
	want = monitehooks.Payload{Format: monitehooks.FormatSubscriptions, Subscriptions: &monitehooks.SubscriptionsPayload{
		ID: docEventID, CreatedAt: docCreatedAt, Action: "entity.updated", APIVersion: "2024-05-25",
		Description: "entity_updated", EntityID: ptr(docEntityID),
		Object:     json.RawMessage(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"active","organization":{"legal_name":"Acme GmbH"}}`),
		ObjectType: "entity", WebhookSubscriptionID: docSubID,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subscriptions example (-want +got):\n%s", diff)
	}
	wantAcc := accessors{ID: docEventID, ObjectID: docObjectID, EntityID: docEntityID, SubscriptionID: docSubID,
		ObjectType: "entity", EventType: "updated", CreatedAt: docCreatedAt}
	if diff := cmp.Diff(wantAcc, accessorsOf(got)); diff != "" {
		t.Errorf("subscriptions example's accessors (-want +got):\n%s", diff)
	}
}

// TestParseRequestRoundTrip sends real deliveries from a fake Monite to a
// handler that calls ParseRequest, in both formats, with and without an
// entity and a snapshot, and checks it gets every field back.
func TestParseRequestRoundTrip(t *testing.T) {
	t.Parallel()
	const snapshot = `{"status":"active","organization":{"legal_name":"Acme GmbH"}}`
	tests := []struct {
		name string
		sub  monitehooks.SubscriptionParams
		ev   monitehooks.Event
		// want is the payload of ev to sub, once their IDs are known.
		want func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload
	}{
		{
			name: "settings, named, with entity",
			sub:  monitehooks.SubscriptionParams{APIFormat: monitehooks.FormatSettings, Name: "My webhook"},
			ev:   monitehooks.Event{EntityID: docEntityID},
			want: func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload {
				return monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
					ID: ev.ID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "My webhook",
					EntityID: docEntityID, WebhookSubscriptionID: sub.ID, CreatedAt: docCreatedAt,
				}}
			},
		},
		{
			name: "settings, unnamed, no entity, snapshot not sent",
			sub:  monitehooks.SubscriptionParams{APIFormat: monitehooks.FormatSettings},
			ev:   monitehooks.Event{Object: []byte(snapshot)},
			want: func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload {
				return monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
					ID: ev.ID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "entity updated",
					WebhookSubscriptionID: sub.ID, CreatedAt: docCreatedAt,
				}}
			},
		},
		{
			name: "subscriptions, with entity and snapshot",
			sub:  monitehooks.SubscriptionParams{APIVersion: "2023-06-04"},
			ev:   monitehooks.Event{EntityID: docEntityID, Object: []byte(snapshot)},
			want: func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload {
				return monitehooks.Payload{Format: monitehooks.FormatSubscriptions, Subscriptions: &monitehooks.SubscriptionsPayload{
					ID: ev.ID, CreatedAt: docCreatedAt, Action: "entity.updated", APIVersion: "2023-06-04",
					Description: "entity_updated", EntityID: ptr(docEntityID),
					Object:     json.RawMessage(`{"id":"` + docObjectID + `","status":"active","organization":{"legal_name":"Acme GmbH"}}`),
					ObjectType: "entity", WebhookSubscriptionID: sub.ID,
				}}
			},
		},
		{
			name: "subscriptions, no entity, no snapshot",
			sub:  monitehooks.SubscriptionParams{APIFormat: monitehooks.FormatSubscriptions},
			ev:   monitehooks.Event{},
			want: func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload {
				return monitehooks.Payload{Format: monitehooks.FormatSubscriptions, Subscriptions: &monitehooks.SubscriptionsPayload{
					ID: ev.ID, CreatedAt: docCreatedAt, Action: "entity.updated", APIVersion: monitehooks.DefaultAPIVersion,
					Description: "entity_updated", Object: json.RawMessage(`{"id":"` + docObjectID + `"}`),
					ObjectType: "entity", WebhookSubscriptionID: sub.ID,
				}}
			},
		},
		{
			name: "subscriptions, snapshot with its own id, bytes kept",
			sub:  monitehooks.SubscriptionParams{},
			ev:   monitehooks.Event{Object: []byte(` {"n": 1.50, "id": "` + docObjectID + `"} `)},
			want: func(ev monitehooks.Event, sub monitehooks.Subscription) monitehooks.Payload {
				return monitehooks.Payload{Format: monitehooks.FormatSubscriptions, Subscriptions: &monitehooks.SubscriptionsPayload{
					ID: ev.ID, CreatedAt: docCreatedAt, Action: "entity.updated", APIVersion: monitehooks.DefaultAPIVersion,
					Description: "entity_updated", Object: json.RawMessage(`{"n": 1.50, "id": "` + docObjectID + `"}`),
					ObjectType: "entity", WebhookSubscriptionID: sub.ID,
				}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			monite := webhooktest.NewServer(t, nil)
			partner := httptest.NewUnstartedServer(nil)
			t.Cleanup(partner.Close)
			tt.sub.ObjectType = "entity"
			tt.sub.URL = "http://" + partner.Listener.Addr().String() + "/monite"
			sub := monite.Subscribe(t, tt.sub)

			type result struct {
				p   monitehooks.Payload
				err error
			}
			results := make(chan result, 1)
			partner.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, err := monitehooks.ParseRequest(r, monitehooks.ParseParams{
					Secrets: []string{sub.CurrentSecret()}, Now: monite.Clock.Now,
					Format: tt.sub.APIFormat, // as a receiver that knows its format, or detected
				})
				select {
				case results <- result{p, err}:
				default: // a retry; the first result is the one checked
				}
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
				}
			})
			partner.Start()

			tt.ev.ObjectType, tt.ev.Type, tt.ev.ObjectID, tt.ev.CreatedAt = "entity", "updated", docObjectID, docCreatedAt
			ev := monite.Emit(t, tt.ev)
			var got result
			select {
			case got = <-results:
			case <-time.After(webhooktest.DefaultWait):
				t.Fatal("the handler got no delivery")
			}
			if got.err != nil {
				t.Fatalf("ParseRequest = %v", got.err)
			}
			want := tt.want(ev, sub)
			if diff := cmp.Diff(want, got.p); diff != "" {
				t.Errorf("ParseRequest (-want +got):\n%s", diff)
			}
			wantAcc := accessors{ID: ev.ID, ObjectID: docObjectID, EntityID: tt.ev.EntityID, SubscriptionID: sub.ID,
				ObjectType: "entity", EventType: "updated", CreatedAt: docCreatedAt}
			if diff := cmp.Diff(wantAcc, accessorsOf(got.p)); diff != "" {
				t.Errorf("accessors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPayloadEventTypeCatalogs checks that EventType reads back every
// event type of both catalogs from the payloads of both formats, the
// settings format's verbs included.
func TestPayloadEventTypeCatalogs(t *testing.T) {
	t.Parallel()
	for _, cat := range []*monitehooks.Catalog{monitehooks.DefaultCatalog, monitehooks.MoniteCatalog} {
		for _, ot := range cat.ObjectTypes() {
			for _, et := range cat.EventTypes(ot) {
				ev := &monitehooks.Event{ID: "ev", ObjectID: "obj", ObjectType: ot, Type: et, CreatedAt: docCreatedAt}
				for _, f := range []monitehooks.APIFormat{monitehooks.FormatSettings, monitehooks.FormatSubscriptions} {
					body := monitehooks.RenderPayload(ev, &monitehooks.Subscription{ID: "sub", APIFormat: f})
					p, err := monitehooks.ParsePayload(monitehooks.Sign(body, docSentAt, docSecret), body, docParams())
					if err != nil {
						t.Fatalf("ParsePayload(%s) = %v", body, err)
					}
					want := et
					if f == monitehooks.FormatSettings {
						// The settings format cannot tell comment's "create"
						// (MoniteCatalog) from the seed's "created", both
						// "create": EventType reads the seed's.
						for _, seed := range monitehooks.DefaultCatalog.EventTypes(ot) {
							if monitehooks.SettingsAction(ot, seed) == monitehooks.SettingsAction(ot, et) {
								want = seed
							}
						}
					}
					if p.Format != f || p.ObjectType() != ot || p.EventType() != want || p.ObjectID() != "obj" {
						t.Errorf("ParsePayload(%s): format, object type, event type, object ID = %s, %s, %s, %s; want %s, %s, %s, obj",
							body, p.Format, p.ObjectType(), p.EventType(), p.ObjectID(), f, ot, want)
					}
				}
			}
		}
	}
}

// TestParsePayloadErrors checks that a signature that does not verify
// gets Verify's error, and a verified body that is not a payload
// ErrInvalidPayload, never the one for the other.
func TestParsePayloadErrors(t *testing.T) {
	t.Parallel()
	signed := func(body string) (string, string) { return monitehooks.Sign([]byte(body), docSentAt, docSecret), body }
	settingsWithout := func(key string) string { return withoutMember(t, docSettings, key) }
	subsWithout := func(key string) string { return withoutMember(t, docSubs, key) }
	tests := []struct {
		name         string
		header, body string
		format       monitehooks.APIFormat
		wantErr      error
	}{
		{name: "missing header", header: "", body: docSettings, wantErr: monitehooks.ErrNoSignature},
		{name: "garbled header", header: "t=1710139795,v1=zz", body: docSettings, wantErr: monitehooks.ErrMalformedSignature},
		{name: "wrong secret", header: monitehooks.Sign([]byte(docSettings), docSentAt, monitehooks.NewSecret()), body: docSettings,
			wantErr: monitehooks.ErrNoValidSignature},
		{name: "tampered body", header: monitehooks.Sign([]byte(docSettings), docSentAt, docSecret),
			body: strings.Replace(docSettings, "update", "delete", 1), wantErr: monitehooks.ErrNoValidSignature},
		{name: "stale timestamp", header: monitehooks.Sign([]byte(docSettings), docSentAt.Add(-5*time.Minute-time.Second), docSecret),
			body: docSettings, wantErr: monitehooks.ErrTimestampTooOld},
		{name: "timestamp ahead", header: monitehooks.Sign([]byte(docSettings), docSentAt.Add(5*time.Minute+time.Second), docSecret),
			body: docSettings, wantErr: monitehooks.ErrTimestampTooNew},
		{name: "signature error before a bad body", header: monitehooks.Sign([]byte("x"), docSentAt, monitehooks.NewSecret()), body: "x",
			wantErr: monitehooks.ErrNoValidSignature},

		{name: "signed, empty body", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, not JSON", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, null", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, array", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, string", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, object then more", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, empty object", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings without name", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings without created_at", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings with a number for id", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings with ID for id", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings with created_at not RFC 3339", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings with entity_id a number", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions without api_version", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions without object", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions with object null", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions with object an array", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions with created_at a number", wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, subscriptions said to be settings", format: monitehooks.FormatSettings, wantErr: monitehooks.ErrInvalidPayload},
		{name: "signed, settings said to be subscriptions", format: monitehooks.FormatSubscriptions, wantErr: monitehooks.ErrInvalidPayload},
	}
	bodies := map[string]string{
		"signed, empty body":                             "",
		"signed, not JSON":                               "hello",
		"signed, null":                                   "null",
		"signed, array":                                  "[" + docSettings + "]",
		"signed, string":                                 `"` + docEventID + `"`,
		"signed, object then more":                       docSettings + "{}",
		"signed, empty object":                           "{}",
		"signed, settings without name":                  settingsWithout("name"),
		"signed, settings without created_at":            settingsWithout("created_at"),
		"signed, settings with a number for id":          strings.Replace(docSettings, `"id":"`+docEventID+`"`, `"id":5`, 1),
		"signed, settings with ID for id":                strings.Replace(docSettings, `"id":`, `"ID":`, 1),
		"signed, settings with created_at not RFC 3339":  strings.Replace(docSettings, "2024-03-11T06:49:54.12Z", "2024-03-11 06:49:54", 1),
		"signed, settings with entity_id a number":       strings.Replace(docSettings, `"`+docEntityID+`"`, "7", 1),
		"signed, subscriptions without api_version":      subsWithout("api_version"),
		"signed, subscriptions without object":           subsWithout("object"),
		"signed, subscriptions with object null":         strings.Replace(subsWithout("object"), `"object_type"`, `"object":null,"object_type"`, 1),
		"signed, subscriptions with object an array":     strings.Replace(subsWithout("object"), `"object_type"`, `"object":[1],"object_type"`, 1),
		"signed, subscriptions with created_at a number": strings.Replace(docSubs, `"2024-03-11T06:49:54.12Z"`, "1710139794", 1),
		"signed, subscriptions said to be settings":      docSubs,
		"signed, settings said to be subscriptions":      docSettings,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if body, ok := bodies[tt.name]; ok {
				tt.header, tt.body = signed(body)
			}
			p := docParams()
			p.Format = tt.format
			got, err := monitehooks.ParsePayload(tt.header, []byte(tt.body), p)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParsePayload(%q, %q) = %v; want %v", tt.header, tt.body, err, tt.wantErr)
			}
			if tt.wantErr != monitehooks.ErrInvalidPayload && errors.Is(err, monitehooks.ErrInvalidPayload) {
				t.Errorf("ParsePayload = %v; a signature error must not be ErrInvalidPayload", err)
			}
			if diff := cmp.Diff(monitehooks.Payload{}, got); diff != "" {
				t.Errorf("payload with an error (-want +got):\n%s", diff)
			}
		})
	}
}

// withoutMember returns the payload body without its member key.
func withoutMember(t *testing.T, body, key string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m[key]; !ok {
		t.Fatalf("no member %q in %s", key, body)
	}
	delete(m, key)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParsePayloadLenient checks what ParsePayload accepts beyond the
// bodies the emitter writes.
func TestParsePayloadLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		format monitehooks.APIFormat
		want   monitehooks.Payload
	}{
		{
			name: "unknown members, other cases of known names, whitespace",
			body: "{\n  " + strings.Trim(docSettings, "{}") + `,"ID":"other","extra":{"a":[1,2]},"Name":"other"` + "\n}",
			want: monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
				ID: docEventID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "My webhook",
				EntityID: docEntityID, WebhookSubscriptionID: docSubID, CreatedAt: docCreatedAt,
			}},
		},
		{
			name: "settings entity_id null",
			body: strings.Replace(docSettings, `"`+docEntityID+`"`, "null", 1),
			want: monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
				ID: docEventID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "My webhook",
				WebhookSubscriptionID: docSubID, CreatedAt: docCreatedAt,
			}},
		},
		{
			name: "subscriptions entity_id left out, created_at with an offset",
			body: strings.Replace(withoutMember(t, docSubs, "entity_id"), "2024-03-11T06:49:54.12Z", "2024-03-11T07:49:54.12+01:00", 1),
			want: monitehooks.Payload{Format: monitehooks.FormatSubscriptions, Subscriptions: &monitehooks.SubscriptionsPayload{
				ID: docEventID, CreatedAt: docCreatedAt, Action: "entity.updated", APIVersion: "2024-05-25",
				Description: "entity_updated",
				Object:      json.RawMessage(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"active","organization":{"legal_name":"Acme GmbH"}}`),
				ObjectType:  "entity", WebhookSubscriptionID: docSubID,
			}},
		},
		{
			name:   "settings members in a subscriptions body said to be settings",
			body:   strings.TrimSuffix(docSettings, "}") + `,"api_version":"2024-05-25","object":{}}`,
			format: monitehooks.FormatSettings,
			want: monitehooks.Payload{Format: monitehooks.FormatSettings, Settings: &monitehooks.SettingsPayload{
				ID: docEventID, ObjectID: docObjectID, ObjectType: "entity", Action: "update", Name: "My webhook",
				EntityID: docEntityID, WebhookSubscriptionID: docSubID, CreatedAt: docCreatedAt,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := docParams()
			p.Format = tt.format
			got, err := monitehooks.ParsePayload(monitehooks.Sign([]byte(tt.body), docSentAt, docSecret), []byte(tt.body), p)
			if err != nil {
				t.Fatalf("ParsePayload(%s) = %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePayload(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// TestParsePayloadMisuse checks that misconfigured params get an error
// that is neither a signature error nor ErrInvalidPayload.
func TestParsePayloadMisuse(t *testing.T) {
	t.Parallel()
	header := monitehooks.Sign([]byte(docSettings), docSentAt, docSecret)
	for name, p := range map[string]monitehooks.ParseParams{
		"no secrets":     {Now: docParams().Now},
		"empty secret":   {Secrets: []string{docSecret, ""}, Now: docParams().Now},
		"unknown format": {Secrets: []string{docSecret}, Now: docParams().Now, Format: "xml"},
	} {
		_, err := monitehooks.ParsePayload(header, []byte(docSettings), p)
		if err == nil {
			t.Errorf("%s: ParsePayload = nil; want an error", name)
			continue
		}
		for _, sentinel := range []error{monitehooks.ErrInvalidPayload, monitehooks.ErrNoSignature, monitehooks.ErrMalformedSignature,
			monitehooks.ErrNoValidSignature, monitehooks.ErrTimestampTooOld, monitehooks.ErrTimestampTooNew} {
			if errors.Is(err, sentinel) {
				t.Errorf("%s: ParsePayload = %v; want an error that is not %v", name, err, sentinel)
			}
		}
	}
}

// TestParseRequestBody checks how ParseRequest reads the body.
func TestParseRequestBody(t *testing.T) {
	t.Parallel()
	request := func(body io.Reader, header string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/monite", body)
		if header != "" {
			r.Header.Set(monitehooks.SignatureHeader, header)
		}
		return r
	}

	t.Run("at the limit", func(t *testing.T) {
		t.Parallel()
		body := []byte(strings.TrimSuffix(docSettings, "}") + `,"pad":"` +
			strings.Repeat("x", monitehooks.DefaultMaxBodyBytes-len(docSettings)-9) + `"}`)
		if len(body) != monitehooks.DefaultMaxBodyBytes {
			t.Fatalf("len(body) = %d; want %d", len(body), monitehooks.DefaultMaxBodyBytes)
		}
		p, err := monitehooks.ParseRequest(request(bytes.NewReader(body), monitehooks.Sign(body, docSentAt, docSecret)), docParams())
		if err != nil || p.ID() != docEventID {
			t.Errorf("ParseRequest = %q, %v; want %q, nil", p.ID(), err, docEventID)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		body := []byte(strings.TrimSuffix(docSettings, "}") + `,"pad":"` +
			strings.Repeat("x", monitehooks.DefaultMaxBodyBytes-len(docSettings)-8) + `"}`)
		_, err := monitehooks.ParseRequest(request(bytes.NewReader(body), monitehooks.Sign(body, docSentAt, docSecret)), docParams())
		if !errors.Is(err, monitehooks.ErrInvalidPayload) {
			t.Errorf("ParseRequest = %v; want ErrInvalidPayload", err)
		}
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); !ok || mbe.Limit != monitehooks.DefaultMaxBodyBytes {
			t.Errorf("ParseRequest = %v; want an *http.MaxBytesError of limit %d", err, monitehooks.DefaultMaxBodyBytes)
		}
	})
	t.Run("no body", func(t *testing.T) {
		t.Parallel()
		r := request(nil, monitehooks.Sign(nil, docSentAt, docSecret))
		r.Body = nil
		if _, err := monitehooks.ParseRequest(r, docParams()); !errors.Is(err, monitehooks.ErrInvalidPayload) {
			t.Errorf("ParseRequest(nil body, signed) = %v; want ErrInvalidPayload", err)
		}
	})
	t.Run("no header", func(t *testing.T) {
		t.Parallel()
		if _, err := monitehooks.ParseRequest(request(strings.NewReader(docSettings), ""), docParams()); !errors.Is(err, monitehooks.ErrNoSignature) {
			t.Errorf("ParseRequest(no header) = %v; want ErrNoSignature", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		t.Parallel()
		readErr := errors.New("connection reset")
		_, err := monitehooks.ParseRequest(request(iotest.ErrReader(readErr), "t=1"), docParams())
		if !errors.Is(err, readErr) || errors.Is(err, monitehooks.ErrInvalidPayload) {
			t.Errorf("ParseRequest(failing body) = %v; want the read error, not ErrInvalidPayload", err)
		}
	})
}

// FuzzParsePayload checks that ParsePayload never panics; that a body
// signed as sent is either decoded or refused with ErrInvalidPayload, and
// that a decoded one encodes and decodes again to the same payload; and
// that a header Verify refuses gets Verify's error.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(docSettings), "", uint8(0))
	f.Add([]byte(docSubs), "t=1710139795,v1=011dee6e04c5312c143eb6c88cb6779fdbeb120fa83f00b1100f06b9df609855", uint8(0))
	f.Add([]byte(docSubs), "t=1710139795", uint8(1))
	f.Add([]byte(docSettings), "v1=x", uint8(2))
	f.Add([]byte(`{"id":"\ud800","object_id":"\u00e9","object_type":"x<y","action":"","name":"","entity_id":null,"webhook_subscription_id":"","created_at":"0001-01-01T00:00:00+23:59"}`), "t=0", uint8(0))
	f.Add([]byte(`{"api_version":"","object":{ "ID" : 1 },"entity_id":"","id":"","created_at":"9999-12-31T23:59:59.999999999-00:00","action":"","description":"","object_type":"","webhook_subscription_id":""}`), "", uint8(0))
	f.Add([]byte(`{"object":[]}`), "", uint8(2))
	f.Add([]byte(`null`), "", uint8(0))
	f.Add([]byte("\xff{"), "t=1710139795,t=1", uint8(1))
	formats := []monitehooks.APIFormat{"", monitehooks.FormatSettings, monitehooks.FormatSubscriptions}
	f.Fuzz(func(t *testing.T, body []byte, header string, format uint8) {
		p := docParams()
		p.Format = formats[int(format)%len(formats)]

		got, err := monitehooks.ParsePayload(monitehooks.Sign(body, docSentAt, docSecret), body, p)
		if err != nil {
			if !errors.Is(err, monitehooks.ErrInvalidPayload) {
				t.Fatalf("ParsePayload(signed %q) = %v; want ErrInvalidPayload", body, err)
			}
			if diff := cmp.Diff(monitehooks.Payload{}, got); diff != "" {
				t.Fatalf("payload with an error (-want +got):\n%s", diff)
			}
		} else {
			checkPayload(t, body, p.Format, got)
		}

		if verr := monitehooks.Verify(header, body, monitehooks.VerifyParams{Secrets: p.Secrets, Now: p.Now}); verr != nil {
			if _, err := monitehooks.ParsePayload(header, body, p); !errors.Is(err, verr) {
				t.Fatalf("ParsePayload(%q, %q) = %v; want Verify's %v", header, body, err, verr)
			}
		}
	})
}

// checkPayload checks a payload that ParsePayload decoded from body, in the
// format asked for: exactly its format's field is set, its methods do not
// panic, and encoding it gives a body that decodes, with the format
// detected, to the same payload.
func checkPayload(t *testing.T, body []byte, asked monitehooks.APIFormat, got monitehooks.Payload) {
	t.Helper()
	if !got.Format.Valid() || asked != "" && got.Format != asked {
		t.Fatalf("ParsePayload(%q, Format %q).Format = %q", body, asked, got.Format)
	}
	if (got.Settings != nil) != (got.Format == monitehooks.FormatSettings) ||
		(got.Subscriptions != nil) != (got.Format == monitehooks.FormatSubscriptions) {
		t.Fatalf("ParsePayload(%q) = %+v; want exactly the field of its format", body, got)
	}
	_ = accessorsOf(got)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // so that the object's bytes stay as they are, but for spaces
	var v any = got.Settings
	if got.Subscriptions != nil {
		v = got.Subscriptions
	}
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding %+v: %v", v, err)
	}
	again := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	got2, err := monitehooks.ParsePayload(monitehooks.Sign(again, docSentAt, docSecret), again, docParams())
	if err != nil {
		t.Fatalf("ParsePayload(%q), encoded from ParsePayload(%q): %v", again, body, err)
	}
	compact := cmp.Transformer("compact", func(m json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			return "invalid: " + string(m)
		}
		return b.String()
	})
	if diff := cmp.Diff(got, got2, compact); diff != "" {
		t.Fatalf("ParsePayload(%q) then encoded and decoded again (-first +second):\n%s", body, diff)
	}
}
