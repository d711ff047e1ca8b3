// Package webhooktest lets partners integrating with Monite test their
// webhook handlers as if Monite were there, and lets this project test
// itself the same way. It is modelled on net/http/httptest.
//
// # Receiver
//
// [NewReceiver] starts a webhook endpoint that records every request,
// verifies signatures against the secrets it is given, and answers from a
// script: status sequences, Retry-After, 410 Gone, redirects, delays, a
// hang, a reset connection. Its Wait methods block on a channel with a
// deadline; its Assert methods report go-cmp diffs.
//
// # Server
//
// [NewServer] starts a fake Monite: the REST API of package httpapi, an
// Emitter that delivers to real endpoints (loopback and http allowed), and
// an in-memory store, on a [Clock] the test moves with [Server.Advance], so
// retries happen exactly when the test says. Point the server's
// subscriptions at your own handler, emit events from Go or through
// POST /events, and assert on what your handler did.
//
// # testscript
//
// [ScriptSetup] and [Commands] bring the same to testscript scenarios:
//
//	func TestScripts(t *testing.T) {
//		testscript.Run(t, testscript.Params{
//			Dir:   "testdata",
//			Setup: func(env *testscript.Env) error { return webhooktest.ScriptSetup(env, nil) },
//			Cmds:  webhooktest.Commands(),
//		})
//	}
//
// The helpers take a testing.TB, call its Helper method, and register
// their cleanup with its Cleanup method.
package webhooktest
