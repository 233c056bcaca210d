package gateway

// txReads keeps the requests (with their deliveries) that one engine
// transaction read and then saved, on a store with one writer: nothing
// else writes while the transaction holds it, so what was saved is what
// the store holds, and a request's second outcome in the same commit group
// need not read the request and its outbox rows again. A nil *txReads
// keeps nothing (stores with many writers, and outcomes written alone).
type txReads struct{ resets map[string]*ResetRequest }

// newTxReads returns a cache for one transaction, or nil on a store with
// many writers, where another instance may change a request meanwhile.
func newTxReads(many bool) *txReads {
	if many {
		return nil
	}
	return &txReads{resets: map[string]*ResetRequest{}}
}

func (x *txReads) get(id string) *ResetRequest {
	if x == nil || id == "" {
		return nil
	}
	return x.resets[id]
}

// keep records r as saved.
func (x *txReads) keep(r *ResetRequest) {
	if x != nil && r != nil {
		x.resets[r.ID] = r
	}
}

// drop forgets a request written some other way.
func (x *txReads) drop(id string) {
	if x != nil {
		delete(x.resets, id)
	}
}

// forget forgets every request: a write that may reach beyond one.
func (x *txReads) forget() {
	if x != nil {
		clear(x.resets)
	}
}
