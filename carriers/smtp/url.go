package smtp

import (
	"net"
	"net/url"
	"strconv"
	"strings"
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
}

// Addr is host:port for dialing.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// String is the URL without the password.
func (e Endpoint) String() string {
	u := url.URL{Scheme: "smtp", Host: e.Addr()}
	if e.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if e.Username != "" {
		u.User = url.User(e.Username)
	}
	return u.String()
}

// GoString keeps %#v from printing the password field.
func (e Endpoint) GoString() string { return "smtp.Endpoint(" + strconv.Quote(e.String()) + ")" }

// Default ports of the two schemes (RFC 5321 relay, RFC 8314 submissions).
const (
	defaultPort    = 25
	defaultTLSPort = 465
)

// urlError is a ParseURL failure. Its texts are fixed strings, never built
// from the input: the input usually carries a password.
type urlError string

func (e urlError) Error() string { return "smtp url: " + string(e) }

const (
	errMalformed = urlError("malformed; percent-encode special characters in the user name and password")
	errScheme    = urlError("scheme must be smtp:// or smtps://")
	errHost      = urlError("host missing or invalid")
	errPort      = urlError("port must be a number from 1 to 65535")
	errPath      = urlError("no path, query or fragment allowed after host:port")
	errCreds     = urlError("user name or password holds control characters")
	errUserless  = urlError("password given without a user name")
)

// ParseURL reads smtp://[user:pass@]host[:port] (plain, upgraded with
// STARTTLS when the server offers it) or smtps://... (implicit TLS). The
// port defaults to 25 and 465. Errors never repeat any part of s.
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
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
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
	return ep, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isBadHostRune(r rune) bool {
	return isControl(r) || r == ' ' || r == '@' || r == '/' || r == '\\' || r == '%' || r == '[' || r == ']'
}
