package monitehooks

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Emitter defaults.
const (
	// DefaultWorkers is the default number of concurrent attempts.
	DefaultWorkers = 64
	// DefaultPerSubscription is the default cap on concurrent attempts to
	// one subscription.
	DefaultPerSubscription = 16
	// DefaultAttemptTimeout bounds one attempt, from connecting to reading
	// the response.
	DefaultAttemptTimeout = 15 * time.Second
	// DefaultMaxRetryAfter caps how long a Retry-After answer may delay the
	// next attempt.
	DefaultMaxRetryAfter = time.Hour
	// DefaultDisableAfter is how long a subscription's deliveries may fail
	// without a success before it is disabled.
	DefaultDisableAfter = 5 * 24 * time.Hour
	// DefaultPollInterval is the longest the emitter waits before looking
	// for due deliveries it was not told about (such as those another
	// process stored).
	DefaultPollInterval = time.Second
	// MaxResponseRead is the most of a response body an attempt reads.
	MaxResponseRead = 64 << 10
)

// EmitterConfig configures an [Emitter]. The zero value (or nil) gives the
// defaults each field names.
type EmitterConfig struct {
	// Workers is how many attempts may run at once. Defaults to
	// DefaultWorkers.
	Workers int
	// PerSubscription caps the attempts running at once to one
	// subscription, so a slow endpoint with a backlog cannot hold every
	// worker. It must not exceed Workers. Defaults to
	// DefaultPerSubscription, or half of Workers when that is smaller.
	PerSubscription int
	// RetryPolicy decides when attempts are made. Defaults to
	// DefaultRetryPolicy().
	RetryPolicy RetryPolicy
	// AttemptTimeout bounds one attempt. Defaults to DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// MaxRetryAfter caps the delay a 429 or 503 answer's Retry-After may
	// ask for. Defaults to DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// DisableAfter disables a subscription whose deliveries have failed
	// without a success for this long. Defaults to DefaultDisableAfter; a
	// negative value never disables.
	DisableAfter time.Duration
	// Retention is how long the delivery log is kept: in the background,
	// the emitter deletes the deliveries that finished (succeeded, or
	// failed for good) this long ago on the Now clock, with their
	// attempts, and the events left without deliveries (see
	// [Store.DeleteExpired] for what is measured on what). A record is
	// gone within Retention plus a quarter of it, plus a minute at most.
	// Pending deliveries, the events that have one, and subscriptions are
	// never deleted. Defaults to DefaultRetention, the three months of
	// delivery log Monite keeps; a negative value keeps everything, as a
	// negative DisableAfter never disables.
	Retention time.Duration
	// PollInterval is the longest the emitter waits before looking for due
	// deliveries. Defaults to DefaultPollInterval.
	PollInterval time.Duration
	// Lease is how long a claimed delivery stays reserved for this
	// emitter, on the Now clock, before another may claim it (a crashed
	// process's deliveries come back after it). Defaults to twice
	// AttemptTimeout plus a minute. Tests that move Now by hand further
	// than that while attempts are in flight must set it longer.
	Lease time.Duration
	// Now is the clock. Defaults to time.Now. Tests that move a clock by
	// hand call [Emitter.Wake] after moving it.
	Now func() time.Time
	// Transport sends the requests. Defaults to the emitter's own client,
	// which speaks HTTP/1.1 only, with keep-alive connections, and whose
	// dialer applies the SSRF guard; it hands a URL whose host name is not
	// ASCII, and a delivery through a SOCKS proxy, to an http.Transport
	// with the same dialer and settings.
	// For HTTP/2, give a Transport: an http.Transport with
	// ForceAttemptHTTP2 and the DialContext of [GuardedDialContext] keeps
	// the guard. A Transport given here is used as it is: the guard, TLS
	// and proxy are then its owner's business, and AllowPrivateNetworks,
	// AllowedNetworks, Resolver, TLSConfig and Proxy do not apply. Its
	// RoundTrip is called directly, with no http.Client around it:
	// redirects are never followed.
	Transport http.RoundTripper
	// TLSConfig configures TLS for https URLs on the emitter's own
	// client: the roots that verify endpoints (RootCAs), a client
	// certificate for endpoints that ask for one (Certificates or
	// GetClientCertificate), the lowest version (MinVersion). The emitter
	// uses a clone taken by NewEmitter, in which the own client sets
	// ServerName to each URL's host and NextProtos to HTTP/1.1 alone.
	// Defaults to nil: the system's roots, no client certificate, and
	// crypto/tls's defaults, under which TLS 1.2 is the lowest version. It
	// must be nil when Transport is set: configure that Transport's TLS.
	TLSConfig *tls.Config
	// Proxy returns the proxy to send a delivery through, or nil for
	// none. It has the shape of http.Transport's Proxy:
	// http.ProxyFromEnvironment follows HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY, and http.ProxyURL names one proxy. The own client speaks
	// to http and https proxies: a delivery to an http URL goes to the
	// proxy with its URL in full, one to an https URL through a tunnel
	// that CONNECT opens, then TLS to the endpoint, end to end.
	// Credentials in the proxy's URL go in a Proxy-Authorization header.
	// SOCKS5 proxies are left to net/http's Transport.
	//
	// Through a proxy the SSRF guard sees only the URL: a host that is an
	// IP address is checked before anything is sent, but a host name is
	// resolved by the proxy, which must hold the network's egress rules
	// itself. The proxy's own address is not checked: it is yours.
	//
	// Defaults to nil: no proxy, whatever the environment says. It must be
	// nil when Transport is set.
	Proxy func(*http.Request) (*url.URL, error)
	// AllowPrivateNetworks turns the SSRF guard off: deliveries may go to
	// loopback, private and link-local addresses. Defaults to false.
	AllowPrivateNetworks bool
	// AllowedNetworks lists address ranges the guard lets through although
	// they are not public, such as a test network. Defaults to none.
	AllowedNetworks []netip.Prefix
	// Resolver resolves host names for the default transport. Defaults to
	// net.DefaultResolver.
	Resolver *net.Resolver
	// Logger receives the emitter's logs; secrets are never logged.
	// Defaults to discarding them.
	Logger *slog.Logger
	// Observer is told of attempts, finished deliveries and disabled
	// subscriptions. Defaults to none.
	Observer *Observer

	// MaxPending bounds the backlog: when storing an event's deliveries
	// would take the store's pending deliveries (over every partner,
	// leased or not) past it, Emit stores nothing and returns an error
	// wrapping ErrBacklogFull, rather than let the backlog grow until the
	// process runs out of memory. The store checks it in the same step as
	// it stores ([CreateEventParams.MaxPending]), so concurrent Emits
	// cannot pass it together. Defaults to 0, no bound.
	MaxPending int
	// BreakerThreshold is how many attempts to a subscription must fail
	// in a row, without an answer (timeout, refused or reset connection,
	// DNS or TLS failure, address refused by the SSRF guard) or with a
	// 5xx, for its circuit breaker to open. While it is open the emitter
	// holds the subscription's deliveries: one attempt at a time, the
	// probe, goes to its oldest due delivery, when the last failed
	// attempt's retry is due (its schedule's delay, or a Retry-After's),
	// and the others wait without spending attempts. Any answer that is
	// not a 5xx (2xx, 3xx, 4xx, 429) shows the endpoint is up and closes
	// the breaker: the deliveries held, all due by then, drain under the
	// PerSubscription cap. Attempts still count towards DisableAfter.
	// Attempts to subscriptions whose last attempt failed, the breaker
	// open or not, hold at most half of the Workers at once, so that the
	// others are left to endpoints that answer; and those whose last
	// failure came at once (in under 10 ms: a refused connection, an
	// immediate 5xx) run one per two CPUs (GOMAXPROCS) at a time, so that
	// a storm of them leaves the CPU to those endpoints too. The breakers
	// live in the emitter's memory: each process sharing a store keeps
	// its own, and a restart closes them; with a store that is a
	// [Holder], the hold until the next probe is kept in the store too.
	// Defaults to DefaultBreakerThreshold; a negative value turns the
	// breaker, and the share of the workers, off.
	BreakerThreshold int
}

// Observer receives the emitter's notifications, for metrics. Any field
// may be nil. The functions are called synchronously from the delivery
// workers, so they must be quick, and may be called concurrently.
type Observer struct {
	// AttemptDone is called after every attempt.
	AttemptDone func(DeliveryInfo)
	// DeliveryDone is called when a delivery succeeds or fails for good.
	DeliveryDone func(DeliveryInfo)
	// SubscriptionDisabled is called when the emitter disables a
	// subscription: reason is "gone" (the endpoint answered 410) or
	// "failing" (DisableAfter of failures).
	SubscriptionDisabled func(partnerID, subscriptionID, reason string)
	// BreakerOpened is called when the emitter starts holding a
	// subscription's deliveries, its endpoint failing (see
	// [EmitterConfig.BreakerThreshold]), before the observer hears of
	// the attempt that opened it.
	BreakerOpened func(partnerID, subscriptionID string)
	// BreakerClosed is called when it stops holding them: the endpoint
	// answered, or the subscription was disabled or deleted.
	BreakerClosed func(partnerID, subscriptionID string)
}

// DeliveryInfo describes an attempt and its delivery's state after it.
type DeliveryInfo struct {
	DeliveryID     string
	EventID        string
	SubscriptionID string
	PartnerID      string
	// Attempt is the attempt just made; AttemptNumber counts from 1.
	Attempt       Attempt
	AttemptNumber int
	// Status and NextAttemptAt are the delivery's state after the attempt.
	Status        DeliveryStatus
	NextAttemptAt time.Time
}

func (c *EmitterConfig) validate() error {
	v := validator{what: "emitter config"}
	if c.Workers < 0 {
		v.add("Workers", KindInvalid, "must not be negative")
	}
	if c.PerSubscription < 0 {
		v.add("PerSubscription", KindInvalid, "must not be negative")
	}
	workers := c.Workers
	if workers == 0 {
		workers = DefaultWorkers
	}
	if c.PerSubscription > workers {
		v.add("PerSubscription", KindInvalid, fmt.Sprintf("must not exceed Workers (%d)", workers))
	}
	if c.Lease < 0 {
		v.add("Lease", KindInvalid, "must not be negative")
	}
	if c.AttemptTimeout < 0 {
		v.add("AttemptTimeout", KindInvalid, "must not be negative")
	}
	if c.MaxRetryAfter < 0 {
		v.add("MaxRetryAfter", KindInvalid, "must not be negative")
	}
	if c.PollInterval < 0 {
		v.add("PollInterval", KindInvalid, "must not be negative")
	}
	if c.Transport != nil && c.TLSConfig != nil {
		v.add("TLSConfig", KindInvalid, "must be nil when Transport is set: configure the Transport's TLS")
	}
	if c.Transport != nil && c.Proxy != nil {
		v.add("Proxy", KindInvalid, "must be nil when Transport is set: configure the Transport's proxy")
	}
	if c.MaxPending < 0 {
		v.add("MaxPending", KindInvalid, "must not be negative")
	}
	for i, p := range c.AllowedNetworks {
		if !p.IsValid() {
			v.addAt("AllowedNetworks", i, KindInvalid, "is not a valid prefix")
		}
	}
	if c.RetryPolicy != nil {
		if _, ok := c.RetryPolicy.Delay(0); !ok {
			v.add("RetryPolicy", KindInvalid, "makes no attempt at all: its Delay(0) must report true")
		}
	}
	return v.err()
}
