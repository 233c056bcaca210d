package gateway

import (
	"fmt"
	"testing"
)

// The cache answers what PhoneRegion answers, for numbers seen before and
// new ones, and stays within its bound.
func TestRegionCacheAnswersAsPhoneRegion(t *testing.T) {
	var c regionCache
	nums := []string{"+12025550123", "+14165550123", "+442079460000", "+15555550100", "bogus", "", "+1"}
	for i := range maxRegions + 10 {
		nums = append(nums, fmt.Sprintf("+1202555%04d", i%10000))
	}
	for round := range 2 {
		for _, n := range nums {
			if got, want := c.region(n), PhoneRegion(n); got != want {
				t.Fatalf("round %d, %q: cache %q, PhoneRegion %q", round, n, got, want)
			}
		}
	}
	if len(c.m) > maxRegions {
		t.Fatalf("the cache holds %d numbers", len(c.m))
	}
}
