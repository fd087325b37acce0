//go:build !unix

package baseline

import (
	"errors"
	"os"
	"path/filepath"
)

// lockFile is the lock of systems without flock: a file created exclusively beside the store.
// Unlike flock it outlives a killed process; remove it by hand then.
const lockFile = ".perfgate.lock"

func tryLock(dir string) (release func() error, busy bool, err error) {
	p := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	f.Close()
	return func() error { return os.Remove(p) }, false, nil
}
