package main

import (
	"io"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHardening01_ProxyHeaderNeedsTrustedProxies(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"header without proxies", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For"}, "RESETGW_TRUSTED_PROXIES"},
		{"bad proxy entry", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For", "RESETGW_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, "lb.internal"},
		{"header with proxies", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For", "RESETGW_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}, ""},
		{"neither", map[string]string{}, ""},
	}
	for _, tc := range cases {
		c, err := parseServe(nil, envOf(tc.env), io.Discard)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want one naming %s", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && tc.env["RESETGW_TRUSTED_PROXIES"] != "" && len(c.TrustedProxies) != 2:
			t.Errorf("%s: proxies %v", tc.name, c.TrustedProxies)
		}
	}
}
