package baseline

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultLockTimeout is how long an update waits for another update of the same store.
const DefaultLockTimeout = 2 * time.Minute

// ErrLocked reports that another perfgate held the store's lock for longer than the timeout.
var ErrLocked = errors.New("baseline is locked")

// A Lock is an exclusive advisory lock on a baseline directory. Updates of one store hold it
// from reading the store to renaming the new file into place, so that concurrent updates (CI
// re-runs, two nightly jobs, a matrix) serialise and none of their runs is lost. Readers
// need no lock: Save replaces the file atomically.
//
// On Unix the lock is flock(2) on the directory itself, so no lock file is left in the
// repository and a killed process never leaves a stale lock.
type Lock struct {
	release func() error
}

// LockDir takes the lock of the baseline directory dir, creating dir when it does not exist,
// waiting at most timeout for another holder.
func LockDir(dir string, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		release, busy, err := tryLock(dir)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		if !busy {
			return &Lock{release: release}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %w: another 'perfgate baseline update' has been updating it for over %v; wait for it to finish and run this again, or give it longer with --lock-timeout", dir, ErrLocked, timeout)
		}
		time.Sleep(delay)
	}
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil || l.release == nil {
		return nil
	}
	r := l.release
	l.release = nil
	return r()
}
