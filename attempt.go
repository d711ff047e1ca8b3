package monitehooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/monitehooks/monitehooks/internal/h1"
)

// workerState holds one worker's deadline, claimer and reusable buffers.
type workerState struct {
	deadline *deadline
	claimer  *claimer
	body     []byte
	scratch  []byte // for rendering templates
	sig      []byte
	secrets  []string
	answer   []byte      // the start of every answer's body, by either client
	req      h1.Request  // the h1 client's request, reused
	resp     h1.Response // the h1 client's answer, reused
}

// maxKeptBuffer is the largest buffer a worker keeps from one attempt to
// the next: one that grew past it for a large payload is let go.
const maxKeptBuffer = 1 << 20

// release lets go of buffers that grew past maxKeptBuffer.
func (w *workerState) release() {
	dropLarger(maxKeptBuffer, &w.body, &w.scratch)
}

// dropLarger lets go of each buffer whose capacity is over max.
func dropLarger(max int, bufs ...*[]byte) {
	for _, b := range bufs {
		if cap(*b) > max {
			*b = nil
		}
	}
}

func newWorkerState(e *Emitter) *workerState {
	return &workerState{
		deadline: newDeadline(e.baseCtx),
		claimer:  newClaimer(e),
		body:     make([]byte, 0, 1024),
		scratch:  make([]byte, 0, 1024),
		sig:      make([]byte, 0, 256),
		secrets:  make([]string, 0, 2),
		answer:   make([]byte, 0, MaxResponseRead),
	}
}

// attempt makes one attempt at a claimed delivery: it renders the payload
// for the delivery's subscription, signs it, posts it, and records the
// outcome.
func (e *Emitter) attempt(w *workerState, c Claim) {
	if e.baseCtx.Err() != nil {
		e.release(c)
		return
	}
	now := e.now()
	sub, missing := e.subscriptionFor(c)
	if sub == nil {
		// No request: the subscription went away while the delivery
		// waited. Replay can requeue it once the subscription is back.
		e.finish(c, Attempt{At: now, ErrorClass: ErrorSubscriptionGone, Error: missing}, DeliveryFailed, time.Time{})
		return
	}
	c.Subscription = sub // the copy the outcome is recorded against
	e.render(w, &c.Event, sub)
	e.sign(w, sub, now)
	a := Attempt{At: now, URL: sub.URL}
	start := time.Now()
	status, retryAfter, err := e.post(w, sub.URL, c.Event.ID)
	a.Duration = time.Since(start)
	e.record(c, a, status, retryAfter, err, w.answer)
}

// subscriptionFor returns the enabled subscription c is to be delivered
// to, or nil and why there is none: it was deleted or disabled. A
// SharedStore's claim carries the subscription as the store holds it;
// otherwise the registry knows it.
func (e *Emitter) subscriptionFor(c Claim) (sub *Subscription, missing string) {
	var ok bool
	if e.shared != nil {
		sub, ok = c.Subscription, c.Subscription != nil
	} else {
		sub, ok = e.reg.lookup(c.SubscriptionID)
	}
	switch {
	case !ok:
		return nil, "subscription deleted"
	case sub.PartnerID != c.PartnerID || sub.Status != StatusEnabled:
		return nil, "subscription disabled"
	}
	return sub, ""
}

// render renders the payload of a delivery of ev to sub into w.body.
func (e *Emitter) render(w *workerState, ev *Event, sub *Subscription) {
	var tmpl template
	tmpl, w.scratch = e.templates.get(ev, sub.APIFormat, w.scratch)
	w.body = tmpl.appendPayload(w.body[:0], sub)
}

// sign signs w.body at now with sub's live secrets into w.sig.
func (e *Emitter) sign(w *workerState, sub *Subscription, now time.Time) {
	w.secrets = sub.LiveSecrets(w.secrets[:0], now)
	w.sig = AppendSignature(w.sig[:0], w.body, now, w.secrets)
	clear(w.secrets) // keep no secret beyond the attempt
}

// record records the outcome of attempt a: the answer's status, the
// delay its Retry-After asks for and the start of its body, or the error
// of a request that got no answer. The delivery succeeded, failed for
// good, or is due again after a delay.
func (e *Emitter) record(c Claim, a Attempt, status int, retryAfter time.Duration, err error, answer []byte) {
	answered := e.now() // delays count from the answer, not the request
	if err != nil && e.baseCtx.Err() != nil {
		// Closed mid-attempt: the request may have reached the endpoint,
		// so the attempt is recorded, as canceled, not as the endpoint's
		// failure; the delivery is due again at once, for the next
		// emitter.
		a.ErrorClass, a.Error = ErrorCanceled, "the emitter was closed during the attempt"
		e.finish(c, a, DeliveryPending, a.At)
		return
	}
	a.StatusCode = status
	a.Response = excerpt(answer)
	switch {
	case err != nil:
		a.ErrorClass, a.Error = classify(err), errorText(err)
	case status < 200 || status > 299:
		a.ErrorClass, a.Error = ErrorStatus, strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
	}

	switch {
	case a.ErrorClass == "":
		e.finish(c, a, DeliverySucceeded, time.Time{})
	case status == http.StatusGone:
		// Disable first, so that whoever hears of the failed delivery
		// finds the subscription disabled and no later event queued to it.
		if disabled, err := e.reg.disableGone(e.keepCtx, c.Subscription); err != nil {
			e.log.Error("monitehooks: disabling subscription after 410 Gone", "subscription_id", c.SubscriptionID, "err", err)
		} else if disabled {
			e.subscriptionDisabled(c, "gone")
		}
		e.finish(c, a, DeliveryFailed, time.Time{})
	default:
		delay, more := e.policy.Delay(c.Attempts + 1)
		if !more {
			e.finish(c, a, DeliveryFailed, time.Time{})
			break
		}
		if retryAfter > 0 {
			delay = max(delay, min(retryAfter, e.maxRetry))
		}
		e.finish(c, a, DeliveryPending, answered.Add(delay))
	}
}

// finish records an attempt's outcome, keeps the subscription's failure
// record, and tells the observer.
func (e *Emitter) finish(c Claim, a Attempt, status DeliveryStatus, next time.Time) {
	err := e.store.RecordAttempt(e.keepCtx, RecordAttemptParams{
		DeliveryID:    c.DeliveryID,
		LeaseToken:    c.LeaseToken,
		Attempt:       &a,
		Status:        status,
		NextAttemptAt: next,
		UpdatedAt:     a.At,
	})
	if err != nil {
		e.log.Error("monitehooks: recording attempt", "delivery_id", c.DeliveryID, "err", err)
		return
	}
	e.logOutcome(c, &a, status, next)
	e.observeBreaker(c, &a, next)
	if status == DeliveryPending {
		// The dispatcher may sleep past the retry while this worker goes
		// on to other work.
		e.wakeBy(next)
	}
	// A subscription's failure record counts the endpoint's failures only:
	// not a missing subscription, a 410 (handled apart) or our own close.
	if a.ErrorClass != ErrorSubscriptionGone && a.ErrorClass != ErrorCanceled && a.StatusCode != http.StatusGone {
		disabled, err := e.reg.recordOutcome(e.keepCtx, c.Subscription, a.ErrorClass == "", a.At, e.disableAfter)
		if err != nil {
			e.log.Error("monitehooks: recording subscription outcome", "subscription_id", c.SubscriptionID, "err", err)
		} else if disabled {
			e.subscriptionDisabled(c, "failing")
		}
	}
	info := DeliveryInfo{
		DeliveryID: c.DeliveryID, EventID: c.Event.ID, SubscriptionID: c.SubscriptionID, PartnerID: c.PartnerID,
		Attempt: a, AttemptNumber: c.Attempts + 1, Status: status, NextAttemptAt: next,
	}
	if e.obs.AttemptDone != nil {
		e.obs.AttemptDone(info)
	}
	if status != DeliveryPending && e.obs.DeliveryDone != nil {
		e.obs.DeliveryDone(info)
	}
}

// logOutcome logs an attempt's outcome, building nothing when the level is
// off: this runs for every delivery.
func (e *Emitter) logOutcome(c Claim, a *Attempt, status DeliveryStatus, next time.Time) {
	level, msg := slog.LevelDebug, "monitehooks: delivered"
	switch status {
	case DeliveryPending:
		level, msg = slog.LevelInfo, "monitehooks: attempt failed; will retry"
	case DeliveryFailed:
		level, msg = slog.LevelWarn, "monitehooks: delivery failed for good"
	}
	ctx := context.Background()
	if !e.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("delivery_id", c.DeliveryID), slog.String("event_id", c.Event.ID),
		slog.String("subscription_id", c.SubscriptionID), slog.Int("attempt", c.Attempts+1),
		slog.Int("status_code", a.StatusCode),
	}
	if status != DeliverySucceeded {
		attrs = append(attrs, slog.String("error_class", string(a.ErrorClass)), slog.String("err", a.Error))
	}
	if status == DeliveryPending {
		attrs = append(attrs, slog.Time("next_attempt_at", next))
	}
	e.log.LogAttrs(ctx, level, msg, attrs...)
}

func (e *Emitter) subscriptionDisabled(c Claim, reason string) {
	e.log.Warn("monitehooks: subscription disabled", "subscription_id", c.SubscriptionID, "partner_id", c.PartnerID, "reason", reason)
	if e.obs.SubscriptionDisabled != nil {
		e.obs.SubscriptionDisabled(c.PartnerID, c.SubscriptionID, reason)
	}
}

// release hands a claimed delivery back without recording an attempt.
func (e *Emitter) release(c Claim) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.store.ReleaseDelivery(ctx, ReleaseParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken}); err != nil {
		e.log.Warn("monitehooks: releasing delivery", "delivery_id", c.DeliveryID, "err", err)
	}
}

// classify names the class of a request's error. It walks the error's
// tree once, as errors.As would for each class in turn, and allocates
// nothing: the targets of a dozen errors.As calls escape, and an attempt
// to an endpoint that refuses connections cost a dozen allocations.
func classify(err error) ErrorClass {
	var k errorKinds
	if !k.find(err) {
		return classifyAs(err) // a node that answers errors.As itself
	}
	switch {
	case k.blocked:
		return ErrorBlocked
	case k.badURL:
		return ErrorInvalidURL
	case k.proxy, k.op != nil && k.op.Op == "proxyconnect":
		return ErrorProxy
	case k.dns:
		return ErrorDNS
	case errors.Is(err, context.DeadlineExceeded), k.netErr != nil && k.netErr.Timeout():
		return ErrorTimeout
	case k.tls, k.op != nil && k.op.Op == "remote error":
		return ErrorTLS
	default:
		return ErrorConnection
	}
}

// errorKinds is what classify finds in an error's tree.
type errorKinds struct {
	blocked, badURL, proxy, dns, tls bool
	op                               *net.OpError // the first, as errors.As finds it
	netErr                           net.Error    // the first, as errors.As finds it
}

// find records what err's tree holds, walking it in the order errors.As
// does. It reports false, having stopped, at a node with an As method,
// which errors.As would ask.
func (k *errorKinds) find(err error) bool {
	for err != nil {
		if _, ok := err.(interface{ As(any) bool }); ok {
			return false
		}
		switch e := err.(type) {
		case *BlockedAddressError:
			k.blocked = true
		case *invalidURLError:
			k.badURL = true
		case *h1.ProxyError:
			k.proxy = true
		case *net.DNSError:
			k.dns = true
		case *tls.CertificateVerificationError, tls.RecordHeaderError, x509.UnknownAuthorityError,
			x509.HostnameError, x509.CertificateInvalidError, tls.AlertError:
			k.tls = true
		case *net.OpError:
			if k.op == nil {
				k.op = e
			}
		}
		if ne, ok := err.(net.Error); ok && k.netErr == nil {
			k.netErr = ne
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !k.find(e) {
					return false
				}
			}
			return true
		default:
			return true
		}
	}
	return true
}

// classifyAs is classify by errors.As, class by class.
func classifyAs(err error) ErrorClass {
	var (
		blocked  *BlockedAddressError
		badURL   *invalidURLError
		dns      *net.DNSError
		netErr   net.Error
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invErr   x509.CertificateInvalidError
		alertErr tls.AlertError
		proxyErr *h1.ProxyError
		opErr    *net.OpError
	)
	switch {
	case errors.As(err, &blocked):
		return ErrorBlocked
	case errors.As(err, &badURL):
		return ErrorInvalidURL
	case errors.As(err, &proxyErr), errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		// "proxyconnect" is how net/http's Transport says it.
		return ErrorProxy
	case errors.As(err, &dns):
		return ErrorDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ErrorTimeout
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &authErr),
		errors.As(err, &hostErr), errors.As(err, &invErr), errors.As(err, &alertErr),
		errors.As(err, &opErr) && opErr.Op == "remote error":
		// A "remote error" is an alert the endpoint sent, such as its
		// refusal of our client certificate, or of our lack of one.
		return ErrorTLS
	default:
		return ErrorConnection
	}
}

// errorText returns the text of an attempt's error, with its cause cut
// as a response is (see excerpt): the cause may quote what the endpoint
// sent, such as a header line of a megabyte, and the text is kept with the
// attempt. The URL is kept whole, being at most MaxURLLength long.
func errorText(err error) string {
	if ue, ok := err.(*url.Error); ok { // as (*url.Error).Error writes it
		return ue.Op + " " + strconv.Quote(ue.URL) + ": " + excerpt(ue.Err.Error())
	}
	return excerpt(err.Error())
}

// excerpt returns the start of a response body or of an error's text, at
// most MaxResponseExcerpt bytes, cut at a character boundary, with invalid
// UTF-8 replaced.
func excerpt[T string | []byte](b T) string {
	if len(b) > MaxResponseExcerpt+utf8.UTFMax {
		b = b[:MaxResponseExcerpt+utf8.UTFMax]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > MaxResponseExcerpt {
		cut := MaxResponseExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
