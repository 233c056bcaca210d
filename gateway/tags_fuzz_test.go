package gateway_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// FuzzParseTags reads a tags cell as an admin types it (in the CSV, the
// console's form or the API). An accepted cell normalises to sorted,
// distinct, valid tags that read back the same from their own cell
// (normalising is idempotent); a refused one is an invalid-input error
// with one of two stable codes and a short message.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"crew-a;spring-2027", " Crew-A ; crew-a ;", "", ";;;", "-a", "a-", "a--b",
		"CREW_A", "a;b;c;d;e;f;g;h;i;j;k", "a;b;c;d;e;f;g;h;i;j;a", strings.Repeat("x", 33), strings.Repeat("x", 32),
		"crew a", "é", "K", "a\u00a0", "ǅ", "\u212a", "x;" + strings.Repeat("y", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		tags, err := gateway.ParseTags(cell)
		if err != nil {
			if gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("%q: error of kind %v: %v", cell, gateway.ErrorKind(err), err)
			}
			if c := gateway.ErrorCode(err); c != "tag_invalid" && c != "too_many_tags" {
				t.Fatalf("%q: code %q", cell, c)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("%q: message of %d bytes", cell, len(err.Error()))
			}
			return
		}
		if len(tags) > gateway.MaxTags || !slices.IsSorted(tags) || len(slices.Compact(slices.Clone(tags))) != len(tags) {
			t.Fatalf("%q: %q not sorted, distinct and at most %d", cell, tags, gateway.MaxTags)
		}
		for _, tag := range tags {
			if n, err := gateway.NormalizeTag(tag); err != nil || n != tag || len(tag) > 32 {
				t.Fatalf("%q: tag %q does not normalise to itself: %q, %v", cell, tag, n, err)
			}
			if strings.Contains(tag, gateway.TagSeparator) {
				t.Fatalf("%q: tag %q holds the separator", cell, tag)
			}
		}
		again, err := gateway.ParseTags(gateway.TagCell(tags))
		if err != nil || !slices.Equal(again, tags) {
			t.Fatalf("%q: %q reads back as %q, %v", cell, tags, again, err)
		}
		if twice, err := gateway.NormalizeTags(tags); err != nil || !slices.Equal(twice, tags) {
			t.Fatalf("%q: normalising %q again gives %q, %v", cell, tags, twice, err)
		}
	})
}
