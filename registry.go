package monitehooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Subscription limits.
const (
	// MaxURLLength is the longest subscription URL accepted.
	MaxURLLength = 2083
	// MaxNameLength is the longest subscription name accepted, in
	// characters.
	MaxNameLength = 255
	// MaxSecretOverlap is the longest a previous secret may stay live
	// after a rotation.
	MaxSecretOverlap = 30 * 24 * time.Hour
)

// RegistryConfig configures a [Registry]. The zero value (or nil) gives the
// defaults each field names.
type RegistryConfig struct {
	// Catalog lists the object and event types subscriptions may name.
	// Defaults to DefaultCatalog.
	Catalog *Catalog
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// AllowInsecureURLs accepts http:// URLs as well as https://. Defaults
	// to false: https only.
	AllowInsecureURLs bool
}

// Registry holds partners' subscriptions: it validates every change,
// writes it to the store, and keeps an in-memory index of enabled
// subscriptions by (partner, object type, event type), so that matching an
// event never scans all subscriptions and never touches the store.
//
// Over a [SharedStore], which other processes may change at any time, the
// store is the truth: the registry reads subscriptions from it, changes
// them with [SharedStore.ChangeSubscription], and the [Emitter] lets the
// store match events. The index then holds what this process has seen
// (what it loaded and changed), for [Registry.Match] only. Over another
// store the registry assumes it is the only writer of subscriptions; call
// [Registry.Reload] after another process has changed them.
//
// A Registry is safe for concurrent use.
type Registry struct {
	store         Store
	shared        SharedStore // the store, when it is one
	catalog       *Catalog
	now           func() time.Time
	allowInsecure bool

	// writeMu serializes changes, so that the store and the index take
	// them in the same order.
	writeMu sync.Mutex

	successMu sync.Mutex // guards lastSuccess
	// lastSuccess holds, per subscription ID, when its latest successful
	// attempt in this process started; see recordOutcome.
	lastSuccess map[string]time.Time

	mu sync.RWMutex // guards byID and index
	// byID holds every subscription by ID. The pointed-to values are never
	// modified: a change replaces the pointer.
	byID map[string]*Subscription
	// index holds the enabled subscriptions per match key. A bucket's
	// slices are never modified after they are stored: a change stores new
	// ones, so readers may keep them after unlocking.
	index map[matchKey]bucket
}

type matchKey struct {
	partner string
	ot      ObjectType
	et      EventType
}

// bucket is the enabled subscriptions for one match key, oldest first, and
// their IDs in the same order.
type bucket struct {
	subs []*Subscription
	ids  []string
}

// SubscriptionParams are the fields of a new subscription.
type SubscriptionParams struct {
	// PartnerID owns the subscription. Required.
	PartnerID string
	// ObjectType must be in the registry's catalog. Required.
	ObjectType ObjectType
	// EventTypes must be event types of ObjectType, each once; empty means
	// all of them.
	EventTypes []EventType
	// URL must be an absolute https URL (http too with
	// AllowInsecureURLs) without user info, at most MaxURLLength long.
	// Required.
	URL string
	// Name is optional, at most MaxNameLength characters.
	Name string
	// APIFormat is the payload shape. Defaults to FormatSubscriptions.
	APIFormat APIFormat
	// APIVersion is a date, YYYY-MM-DD. Defaults to DefaultAPIVersion.
	APIVersion string
}

// SubscriptionUpdate lists the fields to change; nil fields are left as
// they are.
type SubscriptionUpdate struct {
	URL        *string
	ObjectType *ObjectType
	EventTypes *[]EventType
	Name       *string
}

// NewRegistry returns a registry over store, loading every stored
// subscription into its index. cfg may be nil.
func NewRegistry(ctx context.Context, store Store, cfg *RegistryConfig) (*Registry, error) {
	if store == nil {
		return nil, fmt.Errorf("monitehooks: NewRegistry: store is nil")
	}
	if cfg == nil {
		cfg = &RegistryConfig{}
	}
	r := &Registry{
		store:         store,
		catalog:       cfg.Catalog,
		now:           cfg.Now,
		allowInsecure: cfg.AllowInsecureURLs,
		lastSuccess:   make(map[string]time.Time),
	}
	r.shared, _ = store.(SharedStore)
	if r.catalog == nil {
		r.catalog = DefaultCatalog
	}
	if r.now == nil {
		r.now = time.Now
	}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Catalog returns the catalog the registry validates against.
func (r *Registry) Catalog() *Catalog { return r.catalog }

// Reload rebuilds the index from the store.
func (r *Registry) Reload(ctx context.Context) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	subs, err := r.store.LoadSubscriptions(ctx)
	if err != nil {
		return fmt.Errorf("monitehooks: loading subscriptions: %w", err)
	}
	slices.SortFunc(subs, func(a, b Subscription) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byID = make(map[string]*Subscription, len(subs))
	r.index = make(map[matchKey]bucket)
	for i := range subs {
		s := &subs[i]
		r.byID[s.ID] = s
		r.indexAddLocked(s)
	}
	return nil
}

// Match returns the enabled subscriptions of the partner that accept events
// of type et on objects of type ot, in the order they were last created,
// enabled or changed. The slice and the subscriptions are shared: callers
// must not modify them. Match does not allocate. Over a [SharedStore] it
// answers from what this process has seen, which other processes may
// have changed since; the Emitter lets such a store match events.
func (r *Registry) Match(partnerID string, ot ObjectType, et EventType) []*Subscription {
	r.mu.RLock()
	b := r.index[matchKey{partnerID, ot, et}]
	r.mu.RUnlock()
	return b.subs
}

// matchIDs is Match returning the subscriptions' IDs.
func (r *Registry) matchIDs(partnerID string, ot ObjectType, et EventType) []string {
	r.mu.RLock()
	b := r.index[matchKey{partnerID, ot, et}]
	r.mu.RUnlock()
	return b.ids
}

// lookup returns the subscription with the ID, shared: read only.
func (r *Registry) lookup(id string) (*Subscription, bool) {
	r.mu.RLock()
	s, ok := r.byID[id]
	r.mu.RUnlock()
	return s, ok
}

// Create validates p and stores a new enabled subscription with a fresh
// secret. The returned subscription carries the secret.
func (r *Registry) Create(ctx context.Context, p SubscriptionParams) (Subscription, error) {
	if p.APIFormat == "" {
		p.APIFormat = FormatSubscriptions
	}
	if p.APIVersion == "" {
		p.APIVersion = DefaultAPIVersion
	}
	v := validator{what: "subscription"}
	if p.PartnerID == "" {
		v.add("partner_id", KindMissing, "is required")
	}
	r.validateTypes(&v, p.ObjectType, p.EventTypes)
	r.validateURL(&v, p.URL)
	validateName(&v, p.Name)
	if !p.APIFormat.Valid() {
		v.add("api_format", KindEnum, fmt.Sprintf("must be %q or %q", FormatSettings, FormatSubscriptions))
	}
	if _, err := time.Parse(time.DateOnly, p.APIVersion); err != nil {
		v.add("api_version", KindInvalid, "must be a date, YYYY-MM-DD")
	}
	if err := v.err(); err != nil {
		return Subscription{}, err
	}
	now := r.now().UTC()
	sub := Subscription{
		PartnerID:  p.PartnerID,
		ObjectType: p.ObjectType,
		EventTypes: slices.Clone(p.EventTypes),
		URL:        p.URL,
		Name:       p.Name,
		Status:     StatusEnabled,
		APIFormat:  p.APIFormat,
		APIVersion: p.APIVersion,
		Secrets:    []Secret{{Value: NewSecret()}},
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	stored, err := r.store.CreateSubscription(ctx, sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("monitehooks: storing subscription: %w", err)
	}
	r.publish(nil, stored.Clone())
	return stored, nil
}

// Get returns the partner's subscription with the ID, or an error wrapping
// ErrSubscriptionNotFound.
func (r *Registry) Get(ctx context.Context, partnerID, id string) (Subscription, error) {
	if err := ctx.Err(); err != nil {
		return Subscription{}, err
	}
	if r.shared != nil {
		return r.shared.GetSubscription(ctx, partnerID, id)
	}
	s, ok := r.lookup(id)
	if !ok || s.PartnerID != partnerID {
		return Subscription{}, ErrSubscriptionNotFound
	}
	return s.Clone(), nil
}

// List returns one page of the partner's subscriptions.
func (r *Registry) List(ctx context.Context, partnerID string, p ListParams) (Page[Subscription], error) {
	if p.Cursor == "" {
		if err := p.Validate(); err != nil {
			return Page[Subscription]{}, err
		}
	}
	return r.store.ListSubscriptions(ctx, partnerID, p)
}

// Update applies the non-nil fields of u to the partner's subscription,
// validating the result as Create does.
func (r *Registry) Update(ctx context.Context, partnerID, id string, u SubscriptionUpdate) (Subscription, error) {
	return r.change(ctx, partnerID, id, func(s *Subscription) error {
		v := validator{what: "subscription"}
		if u.ObjectType != nil {
			s.ObjectType = *u.ObjectType
		}
		if u.EventTypes != nil {
			s.EventTypes = slices.Clone(*u.EventTypes)
		}
		if u.ObjectType != nil || u.EventTypes != nil {
			r.validateTypes(&v, s.ObjectType, s.EventTypes)
		}
		if u.URL != nil {
			s.URL = *u.URL
			r.validateURL(&v, s.URL)
		}
		if u.Name != nil {
			s.Name = *u.Name
			validateName(&v, s.Name)
		}
		return v.err()
	})
}

// Delete removes the partner's subscription. Its pending deliveries fail
// when their turn comes; its delivery log stays.
func (r *Registry) Delete(ctx context.Context, partnerID, id string) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	old, ok := r.lookup(id)
	if r.shared == nil && (!ok || old.PartnerID != partnerID) {
		return ErrSubscriptionNotFound
	}
	if err := r.store.DeleteSubscription(ctx, partnerID, id); err != nil {
		if errors.Is(err, ErrSubscriptionNotFound) {
			return ErrSubscriptionNotFound
		}
		return fmt.Errorf("monitehooks: deleting subscription: %w", err)
	}
	if ok {
		r.publish(old, Subscription{})
	}
	r.successMu.Lock()
	delete(r.lastSuccess, id)
	r.successMu.Unlock()
	return nil
}

// Enable turns deliveries to the partner's subscription back on and clears
// its failure record.
func (r *Registry) Enable(ctx context.Context, partnerID, id string) (Subscription, error) {
	return r.change(ctx, partnerID, id, func(s *Subscription) error {
		s.Status = StatusEnabled
		s.FailingSince = time.Time{}
		return nil
	})
}

// Disable stops deliveries to the partner's subscription. Events emitted
// while it is disabled are not queued for it; deliveries already pending
// fail when their turn comes.
func (r *Registry) Disable(ctx context.Context, partnerID, id string) (Subscription, error) {
	return r.change(ctx, partnerID, id, func(s *Subscription) error {
		s.Status = StatusDisabled
		return nil
	})
}

// RegenerateSecret gives the partner's subscription a new current secret.
// The previous current secret stays live for overlap (0 drops it at once,
// as Monite does), so receivers can roll over without failing deliveries;
// deliveries are signed with every live secret. The returned subscription
// carries the new secret first.
func (r *Registry) RegenerateSecret(ctx context.Context, partnerID, id string, overlap time.Duration) (Subscription, error) {
	if overlap < 0 || overlap > MaxSecretOverlap {
		v := validator{what: "secret rotation"}
		v.add("expire_previous_in_seconds", KindInvalid,
			fmt.Sprintf("must be between 0 and %d", int64(MaxSecretOverlap/time.Second)))
		return Subscription{}, v.err()
	}
	return r.change(ctx, partnerID, id, func(s *Subscription) error {
		now := r.now().UTC()
		secrets := []Secret{{Value: NewSecret()}}
		for _, old := range s.Secrets {
			switch {
			case old.ExpiresAt.IsZero() && overlap > 0:
				secrets = append(secrets, Secret{Value: old.Value, ExpiresAt: now.Add(overlap)})
			case !old.ExpiresAt.IsZero() && now.Before(old.ExpiresAt):
				secrets = append(secrets, old)
			}
		}
		s.Secrets = secrets
		return nil
	})
}

// recordOutcome keeps the failure record for auto-disable of seen, the
// subscription an attempt that started at at was made to: a success
// clears FailingSince when the failures it records began no later; a
// failure sets it when no success is known from at or after at, and
// disables the subscription once it has failed continuously for
// disableAfter (0 or less: never).
//
// Attempts to one subscription run concurrently and finish in any order,
// so outcomes are compared by when their attempts started: a slow failure
// that finishes after a quicker, later success does not start a failure
// record. It writes to the store only when something changes, deciding on
// the subscription as the store holds it, and reports whether this call
// disabled the subscription.
func (r *Registry) recordOutcome(ctx context.Context, seen *Subscription, ok bool, at time.Time, disableAfter time.Duration) (disabled bool, err error) {
	id := seen.ID
	if ok {
		r.successMu.Lock()
		// Over a store of its own the registry knows every subscription,
		// and looks it up under successMu: Delete unpublishes the
		// subscription before it drops its entry under successMu, so a
		// success that lands after a Delete leaves no entry behind.
		if _, found := r.lookup(id); (found || r.shared != nil) && at.After(r.lastSuccess[id]) {
			r.lastSuccess[id] = at
		}
		r.successMu.Unlock()
	}
	s := seen
	if r.shared == nil {
		var found bool
		if s, found = r.lookup(id); !found {
			return false, nil
		}
	}
	// Most outcomes change nothing; tell without a write. change decides
	// again on the subscription as it is stored.
	if !r.outcomeChanges(s, ok, at, disableAfter) {
		return false, nil
	}
	_, err = r.change(ctx, s.PartnerID, id, func(s *Subscription) error {
		disabled = false // Change may run more than once
		if !r.outcomeChanges(s, ok, at, disableAfter) {
			return errNoChange
		}
		switch since := r.failingSince(s); {
		case ok:
			s.FailingSince = time.Time{}
		case since.IsZero():
			s.FailingSince = at.UTC()
		default:
			s.Status = StatusDisabled
			disabled = true
		}
		return nil
	})
	if err == errNoChange || errors.Is(err, ErrSubscriptionNotFound) {
		return false, nil
	}
	return disabled, err
}

// outcomeChanges reports whether recordOutcome has something to write.
func (r *Registry) outcomeChanges(s *Subscription, ok bool, at time.Time, disableAfter time.Duration) bool {
	since := r.failingSince(s)
	switch {
	case ok:
		return !s.FailingSince.IsZero() && !s.FailingSince.After(at)
	case since.IsZero():
		return at.After(r.lastSuccessOf(s.ID))
	default:
		return s.Status == StatusEnabled && disableAfter > 0 && at.Sub(since) >= disableAfter
	}
}

// failingSince is s.FailingSince unless a success is known from then on.
func (r *Registry) failingSince(s *Subscription) time.Time {
	if s.FailingSince.IsZero() || !s.FailingSince.After(r.lastSuccessOf(s.ID)) {
		return time.Time{}
	}
	return s.FailingSince
}

func (r *Registry) lastSuccessOf(id string) time.Time {
	r.successMu.Lock()
	defer r.successMu.Unlock()
	return r.lastSuccess[id]
}

// disableGone disables seen, a subscription whose endpoint answered 410
// Gone, and reports whether this call disabled it.
func (r *Registry) disableGone(ctx context.Context, seen *Subscription) (bool, error) {
	disabled := false
	_, err := r.change(ctx, seen.PartnerID, seen.ID, func(s *Subscription) error {
		if disabled = s.Status == StatusEnabled; !disabled {
			return errNoChange
		}
		s.Status = StatusDisabled
		return nil
	})
	if err == errNoChange || errors.Is(err, ErrSubscriptionNotFound) {
		return false, nil
	}
	return disabled && err == nil, err
}

// errNoChange tells change that the mutation found nothing to do.
var errNoChange = errors.New("no change")

// change applies mutate to a copy of the partner's subscription, stores
// the result and publishes it to the index. An error of mutate is
// answered as it is, and nothing is stored.
func (r *Registry) change(ctx context.Context, partnerID, id string, mutate func(*Subscription) error) (Subscription, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if r.shared != nil {
		return r.changeShared(ctx, partnerID, id, mutate)
	}
	old, ok := r.lookup(id)
	if !ok || old.PartnerID != partnerID {
		return Subscription{}, ErrSubscriptionNotFound
	}
	s := old.Clone()
	if err := mutate(&s); err != nil {
		return Subscription{}, err
	}
	s.UpdatedAt = r.now().UTC()
	if err := r.store.UpdateSubscription(ctx, s); err != nil {
		return Subscription{}, fmt.Errorf("monitehooks: storing subscription: %w", err)
	}
	r.publish(old, s.Clone())
	return s, nil
}

// changeShared is change over a SharedStore: the store reads and writes
// the subscription atomically, whatever other processes do meanwhile.
// The caller holds writeMu.
func (r *Registry) changeShared(ctx context.Context, partnerID, id string, mutate func(*Subscription) error) (Subscription, error) {
	now := r.now().UTC()
	var mutateErr error
	s, err := r.shared.ChangeSubscription(ctx, ChangeSubscriptionParams{
		PartnerID: partnerID,
		ID:        id,
		Change: func(s *Subscription) error {
			if mutateErr = mutate(s); mutateErr != nil {
				return mutateErr
			}
			s.UpdatedAt = now
			return nil
		},
	})
	switch {
	case err == nil:
	case mutateErr != nil && errors.Is(err, mutateErr):
		return Subscription{}, mutateErr
	case errors.Is(err, ErrSubscriptionNotFound):
		return Subscription{}, ErrSubscriptionNotFound
	default:
		return Subscription{}, fmt.Errorf("monitehooks: storing subscription: %w", err)
	}
	old, _ := r.lookup(id)
	r.publish(old, s.Clone())
	return s, nil
}

// publish replaces old with s in byID and the index; old may be nil and s
// the zero Subscription. The caller holds writeMu.
func (r *Registry) publish(old *Subscription, s Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old != nil {
		r.indexRemoveLocked(old)
		delete(r.byID, old.ID)
	}
	if s.ID != "" {
		r.byID[s.ID] = &s
		r.indexAddLocked(&s)
	}
}

// keys returns the match keys a subscription is indexed under.
func (r *Registry) keys(s *Subscription) []EventType {
	if len(s.EventTypes) > 0 {
		return s.EventTypes
	}
	return r.catalog.types[s.ObjectType]
}

func (r *Registry) indexAddLocked(s *Subscription) {
	if s.Status != StatusEnabled {
		return
	}
	for _, et := range r.keys(s) {
		k := matchKey{s.PartnerID, s.ObjectType, et}
		b := r.index[k]
		// Append to fresh arrays: readers may hold the old ones.
		r.index[k] = bucket{
			subs: append(slices.Clip(b.subs), s),
			ids:  append(slices.Clip(b.ids), s.ID),
		}
	}
}

func (r *Registry) indexRemoveLocked(s *Subscription) {
	for _, et := range r.keys(s) {
		k := matchKey{s.PartnerID, s.ObjectType, et}
		b := r.index[k]
		i := slices.Index(b.ids, s.ID)
		switch {
		case i < 0:
		case len(b.ids) == 1:
			delete(r.index, k)
		default:
			r.index[k] = bucket{
				subs: slices.Delete(slices.Clone(b.subs), i, i+1),
				ids:  slices.Delete(slices.Clone(b.ids), i, i+1),
			}
		}
	}
}
