package gateway

import (
	"fmt"
	"testing"
)

// Requests whose address and number share their digits (as generated
// crews' do) must still spread over the side-by-side transactions: if
// one transaction gets them all, nothing runs side by side.
func TestSidePartSpreadsRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		email func(i int) string
		phone func(i int) string
	}{
		{"digits shared", func(i int) string { return fmt.Sprintf("crew%d@acme.example", i) },
			func(i int) string { return fmt.Sprintf("+1201555%04d", 100+i) }},
		{"email only", func(i int) string { return fmt.Sprintf("Crew%d@Acme.example", i) },
			func(int) string { return "" }},
		{"phone only", func(int) string { return "" },
			func(i int) string { return fmt.Sprintf("+1212555%04d", 100+i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n [sideBySide]int
			for i := range 64 {
				n[sidePart(&ResetRequest{Email: tc.email(i), Phone: tc.phone(i)})]++
			}
			for part, k := range n {
				if k < 64/sideBySide/3 {
					t.Errorf("part %d got %d of 64 requests: %v", part, k, n)
				}
			}
		})
	}
}

// One person's requests go in one transaction, whatever the case of the
// address.
func TestSidePartKeepsAPersonTogether(t *testing.T) {
	a := sidePart(&ResetRequest{Email: "Ana@Acme.example", Phone: "+12015550100"})
	b := sidePart(&ResetRequest{Email: "ana@acme.example", Phone: "+12015550100"})
	if a != b {
		t.Fatalf("parts %d and %d for one person", a, b)
	}
}
