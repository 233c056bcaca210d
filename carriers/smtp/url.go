package smtp

import (
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// TLSMode says how a profile uses TLS. It is the URL's ?tls= parameter.
type TLSMode string

const (
	// TLSVerify requires TLS (STARTTLS, or smtps://) and a certificate
	// that verifies for the host name: the default for hosts that are not
	// on this machine.
	TLSVerify TLSMode = "verify"
	// TLSOpportunistic encrypts without checking the certificate, as
	// Postfix's "may" level does: the default for a relay on this machine,
	// whose certificate is usually self-signed. A server that offers no
	// STARTTLS gets plain text only when it is on this machine and the
	// profile has no credentials.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never starts TLS. Only the operator's own profile may use it
	// for a relay that is not on this machine.
	TLSNone TLSMode = "none"
)

// Endpoint is a parsed SMTP profile URL. Password is a secret: String and
// GoString leave it out, so an Endpoint can be logged or printed with %v,
// %+v or %#v without leaking it.
type Endpoint struct {
	Host        string
	Port        int
	ImplicitTLS bool // smtps://: TLS from the first byte (port 465)
	Username    string
	Password    string
	// TLS is the mode in force: the URL's, or the default for the host.
	TLS TLSMode
	// TLSSet says the URL named the mode itself.
	TLSSet bool
	// CAFile is a PEM file of the private CA(s) the relay's certificate
	// must chain to, instead of the system's roots.
	CAFile string
}

// Addr is host:port for dialing.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Loopback reports whether the host is this machine.
func (e Endpoint) Loopback() bool { return isLoopback(e.Host) }

// String is the URL without the password.
func (e Endpoint) String() string {
	u := url.URL{Scheme: "smtp", Host: e.Addr()}
	if e.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if e.Username != "" {
		u.User = url.User(e.Username)
	}
	q := url.Values{}
	if e.TLSSet {
		q.Set("tls", string(e.TLS))
	}
	if e.CAFile != "" {
		q.Set("ca", e.CAFile)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// GoString keeps %#v from printing the password field.
func (e Endpoint) GoString() string { return "smtp.Endpoint(" + strconv.Quote(e.String()) + ")" }

// Default ports of the two schemes (RFC 5321 relay, RFC 8314 submissions).
const (
	defaultPort    = 25
	defaultTLSPort = 465
)

// urlError is a ParseURL failure. Its texts never hold the credentials:
// the input usually carries a password.
type urlError string

func (e urlError) Error() string { return "smtp url: " + string(e) }

const (
	errMalformed = urlError("malformed; percent-encode special characters in the user name and password")
	errScheme    = urlError("scheme must be smtp:// or smtps://")
	errHost      = urlError("host missing or invalid")
	errPort      = urlError("port must be a number from 1 to 65535")
	errPath      = urlError("no path or fragment allowed after host:port")
	errCreds     = urlError("user name or password holds control characters")
	errUserless  = urlError("password given without a user name")
	errTLSValue  = urlError("tls must be verify, opportunistic or none")
	errTwice     = urlError("a query parameter is given twice")
	errCAEmpty   = urlError("ca needs the path of a PEM file")
	errCAMode    = urlError("ca applies to tls=verify only")
	errSMTPSNone = urlError("smtps:// is TLS from the first byte: tls=none does not apply")
	errTenantCA  = urlError("ca is for the operator's profile only: a tenant profile cannot name a file on the server")
	errTenantTLS = urlError("tls=none is for the operator's profile only, or a relay on this machine")
)

// knownParams are the query parameters a profile URL may carry.
var knownParams = map[string]bool{"tls": true, "ca": true}

// unknownParam names a query parameter that is not known. The name is
// quoted (and cut short): it is not a secret, and the admin needs to see
// which one is wrong.
func unknownParam(name string) urlError {
	if len(name) > 40 {
		name = name[:40]
	}
	keys := make([]string, 0, len(knownParams))
	for k := range knownParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return urlError("unknown query parameter " + strconv.QuoteToASCII(name) + " (known: " + strings.Join(keys, ", ") + ")")
}

// ParseURL reads smtp://[user:pass@]host[:port][?tls=MODE][&ca=FILE]
// (upgraded with STARTTLS) or smtps://... (implicit TLS). The port
// defaults to 25 and 465; the TLS mode to opportunistic for a host on this
// machine and verify otherwise. Unknown parameters are refused. Errors
// never repeat the credentials.
//
// ParseURL does not decide who may use what: ParseTenantURL adds the
// limits of a tenant's profile.
func ParseURL(s string) (*Endpoint, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		// url.Parse's error quotes the whole input, password included.
		return nil, errMalformed
	}
	ep := &Endpoint{}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		ep.Port = defaultPort
	case "smtps":
		ep.Port, ep.ImplicitTLS = defaultTLSPort, true
	default:
		return nil, errScheme
	}
	if u.Opaque != "" {
		return nil, errMalformed
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errPath
	}
	ep.Host = u.Hostname()
	if ep.Host == "" || strings.ContainsFunc(ep.Host, isBadHostRune) {
		return nil, errHost
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errPort
		}
		ep.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, errPort
	}
	if u.User != nil {
		ep.Username = u.User.Username()
		ep.Password, _ = u.User.Password()
		if ep.Username == "" && ep.Password != "" {
			return nil, errUserless
		}
		// They go on an AUTH line: a CR or LF would end it early.
		if strings.ContainsFunc(ep.Username+ep.Password, isControl) {
			return nil, errCreds
		}
	}
	if err := ep.parseQuery(u.RawQuery); err != nil {
		return nil, err
	}
	return ep, nil
}

func (ep *Endpoint) parseQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errMalformed
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !knownParams[k] {
			return unknownParam(k)
		}
		if len(q[k]) != 1 {
			return errTwice
		}
	}
	if v, ok := q["tls"]; ok {
		switch m := TLSMode(strings.ToLower(v[0])); m {
		case TLSVerify, TLSOpportunistic, TLSNone:
			ep.TLS, ep.TLSSet = m, true
		default:
			return errTLSValue
		}
	}
	if v, ok := q["ca"]; ok {
		if strings.TrimSpace(v[0]) == "" || strings.ContainsFunc(v[0], isControl) {
			return errCAEmpty
		}
		if ep.TLSSet && ep.TLS != TLSVerify {
			return errCAMode
		}
		ep.CAFile = v[0]
		ep.TLS = TLSVerify
	}
	if ep.ImplicitTLS && ep.TLS == TLSNone {
		return errSMTPSNone
	}
	if ep.TLS == "" {
		ep.TLS = TLSVerify
		if !ep.ImplicitTLS && ep.Loopback() {
			ep.TLS = TLSOpportunistic
		}
	}
	return nil
}

// ParseTenantURL is ParseURL with the limits of a tenant's profile: no
// ca= (a tenant cannot make the server read its files) and no tls=none
// except to a relay on this machine (which only an operator's allow-list
// lets a tenant reach at all).
func ParseTenantURL(s string) (*Endpoint, error) {
	ep, err := ParseURL(s)
	if err != nil {
		return nil, err
	}
	if ep.CAFile != "" {
		return nil, errTenantCA
	}
	if ep.TLS == TLSNone && !ep.Loopback() {
		return nil, errTenantTLS
	}
	return ep, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isBadHostRune(r rune) bool {
	return isControl(r) || r == ' ' || r == '@' || r == '/' || r == '\\' || r == '%' || r == '[' || r == ']'
}

// isLoopback reports whether host names this machine: "localhost" or a
// loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
