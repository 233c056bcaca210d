package gateway

// AcceptQueueLen says how many requests wait for the accept committer, so
// that a test can line up a batch without sleeping on a guess.
func (s *Service) AcceptQueueLen() int {
	s.accepts.mu.Lock()
	defer s.accepts.mu.Unlock()
	return len(s.accepts.queue)
}

// PremarkPerConn is how many waiting mails per connection a lane marks
// ahead at most.
const PremarkPerConn = premarkPerConn
