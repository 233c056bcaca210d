package secret

import (
	"context"
	"testing"
)

// A hasher that collects after each hash answers exactly as one that
// does not.
func TestHardening20_ReclaimingHasherVerifies(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(HasherConfig{Memory: 64, Time: 1, Reclaim: true})
	phc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	plain := NewHasher(HasherConfig{Memory: 64, Time: 1})
	for _, hh := range []*Hasher{h, plain} {
		if ok, err := hh.Verify(ctx, "correct horse battery", phc); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
		if ok, _ := hh.Verify(ctx, "wrong horse battery", phc); ok {
			t.Fatal("a wrong password verified")
		}
	}
}
