package httpapi

import (
	"strconv"
	"strings"
)

// pager is a list's place: "1–50 of 2,008", with previous and next.
type pager struct {
	From, To, Total int
	Prev, Next      string // links, "" when there is none
}

func newPager(base string, offset, n, total int) pager {
	return newPagerSize(base, offset, n, total, pageSize)
}

// newPagerSize is newPager for a list whose pages hold size items.
func newPagerSize(base string, offset, n, total, size int) pager {
	p := pager{From: offset + 1, To: offset + n, Total: total}
	if n == 0 {
		p.From = 0
	}
	base = strings.TrimSuffix(base, "?")
	link := func(off int) string {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return base + sep + "offset=" + strconv.Itoa(off)
	}
	if offset > 0 {
		p.Prev = link(max(offset-size, 0))
	}
	if offset+n < total {
		p.Next = link(offset + n)
	}
	return p
}

// thousands writes n as people read it: 2,008.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Text is the pager's line.
func (p pager) Text() string {
	if p.Total == 0 {
		return "none"
	}
	return thousands(p.From) + "–" + thousands(p.To) + " of " + thousands(p.Total)
}
