package main

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// The soft memory limit is on by default, sized to the hashes in flight,
// configurable, off with 0, and an operator's GOMEMLIMIT wins when it is
// not set; the old per-email and per-phone reset limits are refused
// rather than silently ignored.
func TestHardening20_MemoryLimitConfig(t *testing.T) {
	def := max(48<<20, int64(runtime.NumCPU())*20<<20+8<<20)
	for _, tc := range []struct {
		env     map[string]string
		want    int64
		wantErr string
	}{
		{env: map[string]string{}, want: def},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "64MiB"}, want: 64 << 20},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "1GiB"}, want: 1 << 30},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "200MB"}, want: 200e6},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "0"}, want: 0},
		{env: map[string]string{"GOMEMLIMIT": "100MiB"}, want: 0},
		{env: map[string]string{"GOMEMLIMIT": "100MiB", "RESETGW_MEMORY_LIMIT": "80MiB"}, want: 80 << 20},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "lots"}, wantErr: "RESETGW_MEMORY_LIMIT"},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "-5MiB"}, wantErr: "RESETGW_MEMORY_LIMIT"},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "1MiB"}, wantErr: "16MiB"},
		{env: map[string]string{"RESETGW_MEMORY_LIMIT": "64PiB"}, wantErr: "RESETGW_MEMORY_LIMIT"},
		{env: map[string]string{"RESETGW_RATE_LIMIT_EMAIL": "5"}, wantErr: "RESETGW_RATE_LIMIT_PERSON"},
		{env: map[string]string{"RESETGW_RATE_LIMIT_PHONE": "5"}, wantErr: "RESETGW_RATE_LIMIT_PERSON"},
	} {
		c, err := parseServe(nil, envOf(tc.env), io.Discard)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tc.env, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case c.MemoryLimit != tc.want:
			t.Errorf("%v: limit %d, want %d", tc.env, c.MemoryLimit, tc.want)
		}
	}
}
