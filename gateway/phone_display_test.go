package gateway

import "testing"

func TestDisplayPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+12015550127", "(201) 555-0127"},
		{"+14165550199", "(416) 555-0199"},
		{"+442079460958", "+44 20 7946 0958"},
		{"+34612345678", "+34 612 34 56 78"},
		{"+525512345678", "+52 55 1234 5678"},
		{"not a number", "not a number"},
		{"", ""},
	} {
		if got := DisplayPhone(tc.in); got != tc.want {
			t.Errorf("DisplayPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
