package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrUnauthenticated is returned by the [Authenticator] of [StaticTokens]
// when a request carries no bearer token or an unknown one. Any error of
// an Authenticator answers 401.
var ErrUnauthenticated = errors.New("httpapi: missing or unknown bearer token")

// Authenticator says which partner makes a request. The handler calls it
// for every route but GET /openapi.json; an error, or an empty partner ID,
// answers 401. Implementations must be safe for concurrent use.
type Authenticator interface {
	Authenticate(r *http.Request) (partnerID string, err error)
}

// AuthenticatorFunc adapts a function to [Authenticator].
type AuthenticatorFunc func(r *http.Request) (partnerID string, err error)

// Authenticate returns f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (string, error) { return f(r) }

// StaticTokens returns an [Authenticator] over a fixed map of bearer token
// to partner ID. It keeps its own copy of tokens, so later changes to the
// map change nothing, and compares tokens in constant time.
//
// It returns an error, and no Authenticator, when tokens is empty, when a
// token is empty, or when a token maps to an empty partner ID: none of
// them could ever authenticate a request. The error never holds a token.
func StaticTokens(tokens map[string]string) (Authenticator, error) {
	if len(tokens) == 0 {
		return nil, errors.New("httpapi: StaticTokens: no tokens")
	}
	s := make(staticTokens, len(tokens))
	for token, partner := range tokens {
		switch {
		case token == "":
			return nil, fmt.Errorf("httpapi: StaticTokens: the token of partner %q is empty", partner)
		case partner == "":
			return nil, errors.New("httpapi: StaticTokens: a token maps to an empty partner ID")
		}
		s[token] = partner
	}
	return s, nil
}

// staticTokens is the Authenticator StaticTokens returns: bearer token to
// partner ID, neither empty, never modified.
type staticTokens map[string]string

// Authenticate returns the partner of the request's bearer token, or
// ErrUnauthenticated.
func (s staticTokens) Authenticate(r *http.Request) (string, error) {
	token, ok := BearerToken(r)
	if !ok {
		return "", ErrUnauthenticated
	}
	partner := ""
	for t, p := range s {
		// No early exit: the time taken does not depend on which token
		// matched.
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			partner = p
		}
	}
	if partner == "" {
		return "", ErrUnauthenticated
	}
	return partner, nil
}

// BearerToken returns the token of the request's "Authorization: Bearer
// <token>" header (the scheme is matched without regard to case), and
// false when there is none.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
