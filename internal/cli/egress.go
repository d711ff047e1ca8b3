package cli

import (
	"crypto/tls"
	"flag"
	"net/http"
	"net/url"
	"strings"

	"github.com/monitehooks/monitehooks/internal/egress"
)

// egressFlagsUsage documents the flags of addEgressFlags in serve's
// usage.
const egressFlagsUsage = `  --ca-file FILE         a PEM file of CA certificates that https endpoints'
                         certificates may chain to, besides the system's
                         roots, such as a private CA's (default: the
                         system's roots only)
  --client-cert FILE     a PEM file of the client certificate (and its
                         chain) to present to endpoints that require one
  --client-key FILE      a PEM file of that certificate's key; give both,
                         or neither (default: no client certificate)
  --proxy URL|env        send deliveries through a forward proxy at URL,
                         http://[USER:PASSWORD@]HOST:PORT (or https://,
                         socks5://, socks5h://), or "env" for the proxy of
                         HTTPS_PROXY, HTTP_PROXY and NO_PROXY (default:
                         none, whatever the environment says)
`

// egressFlags are the values of the flags about the emitter's way out:
// its TLS files and its proxy.
type egressFlags struct {
	caFile, certFile, keyFile *string
	proxy                     *string // "" until given
	proxyGiven                *bool
}

// addEgressFlags defines --ca-file, --client-cert, --client-key and
// --proxy on fs. Call check once fs is parsed, and tlsConfig when the
// command runs: it reads the files.
func addEgressFlags(fs *flag.FlagSet) *egressFlags {
	e := &egressFlags{
		caFile:     nonEmptyFlag(fs, "ca-file", "file name"),
		certFile:   nonEmptyFlag(fs, "client-cert", "file name"),
		keyFile:    nonEmptyFlag(fs, "client-key", "file name"),
		proxy:      new(string),
		proxyGiven: new(bool),
	}
	// The proxy's URL is checked by check, not here: the flag package
	// would quote it, password and all, in its error.
	fs.Func("proxy", "", func(v string) error {
		*e.proxy, *e.proxyGiven = v, true
		return nil
	})
	return e
}

// check checks what can be checked without reading a file, and returns
// the proxy function of --proxy (nil for none).
func (e *egressFlags) check(cmd *command) (func(*http.Request) (*url.URL, error), error) {
	if (*e.certFile == "") != (*e.keyFile == "") {
		return nil, usageErrorf(cmd, "--client-cert and --client-key go together: give both, or neither")
	}
	if !*e.proxyGiven {
		return nil, nil
	}
	if *e.proxy == "" {
		return nil, usageErrorf(cmd, `invalid value "" for flag --proxy: must be a proxy URL, such as http://proxy.internal:3128, or env`)
	}
	proxy, err := egress.Proxy(*e.proxy)
	if err != nil {
		// egress words the URL without its password; so does this.
		return nil, usageErrorf(cmd, "invalid value for flag --proxy: %s", strings.TrimPrefix(err.Error(), "monitehooks: "))
	}
	return proxy, nil
}

// tlsConfig reads the PEM files the flags name and returns the emitter's
// TLS configuration, nil when they name none. A file that cannot be read
// or holds no usable PEM is a *usageError naming its flag.
func (e *egressFlags) tlsConfig(cmd *command) (*tls.Config, error) {
	var cfg *tls.Config
	if *e.caFile != "" {
		c, err := egress.TLSConfig(egress.TLSParams{CAFile: *e.caFile})
		if err != nil {
			return nil, usageErrorf(cmd, "invalid value %q for flag --ca-file: %s", *e.caFile, strings.TrimPrefix(err.Error(), "monitehooks: "))
		}
		cfg = c
	}
	if *e.certFile != "" {
		c, err := egress.TLSConfig(egress.TLSParams{CertFile: *e.certFile, KeyFile: *e.keyFile})
		if err != nil {
			return nil, usageErrorf(cmd, "invalid values %q and %q for flags --client-cert and --client-key: %s",
				*e.certFile, *e.keyFile, strings.TrimPrefix(err.Error(), "monitehooks: "))
		}
		if cfg == nil {
			cfg = c
		} else {
			cfg.Certificates = c.Certificates
		}
	}
	return cfg, nil
}

// logAttrs describes the flags given for serve's log, the proxy's
// password left out.
func (e *egressFlags) logAttrs() []any {
	var attrs []any
	if *e.caFile != "" {
		attrs = append(attrs, "ca_file", *e.caFile)
	}
	if *e.certFile != "" {
		attrs = append(attrs, "client_cert", *e.certFile)
	}
	switch {
	case *e.proxy == "env":
		attrs = append(attrs, "proxy", "env")
	case *e.proxy != "":
		if u, err := url.Parse(*e.proxy); err == nil {
			attrs = append(attrs, "proxy", u.Redacted())
		}
	}
	return attrs
}
