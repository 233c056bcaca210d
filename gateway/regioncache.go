package gateway

import "sync"

// regionCache remembers PhoneRegion's answers: every text of a reset asks
// for its number's region (the SMS country allow-list), and the
// phone-number library's regular expressions made that a few percent of
// the engine's CPU. The answer depends on the number alone. The cache is
// emptied when it is full, so it stays small whatever numbers arrive.
type regionCache struct {
	mu sync.Mutex
	m  map[string]string
}

// maxRegions bounds the cache.
const maxRegions = 4096

func (c *regionCache) region(e164 string) string {
	c.mu.Lock()
	r, ok := c.m[e164]
	c.mu.Unlock()
	if ok {
		return r
	}
	r = PhoneRegion(e164)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxRegions {
		c.m = make(map[string]string, 64)
	}
	c.m[e164] = r
	c.mu.Unlock()
	return r
}
