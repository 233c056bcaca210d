package postgres

// WorkChannel is the store's notification channel, for tests that cut its
// listener.
func (s *Store) WorkChannel() string { return s.channel }
