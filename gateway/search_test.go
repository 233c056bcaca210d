package gateway

import "testing"

func TestSearchFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"José García", "jose garcia"},
		{"GARCÍA", "garcia"},
		{"Łukasz Øster", "lukasz oster"},
		{"Straße", "strasse"},
		{"Nguyễn Văn Anh", "nguyen van anh"},
		{"ﬁeld crew", "field crew"}, // a ligature is its letters
		{"plain", "plain"},
	} {
		if got := SearchFold(tc.in); got != tc.want {
			t.Errorf("SearchFold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
