package github

import (
	"io"
	"strings"
)

// A scrubber removes a secret from text before it is shown.
type scrubber struct{ secret string }

const redacted = "***"

func (s scrubber) String(text string) string {
	if s.secret == "" {
		return text
	}
	return strings.ReplaceAll(text, s.secret, redacted)
}

// Error returns err with the secret removed from its message. Wrapped errors stay reachable
// through errors.Is and errors.As, but only the scrubbed message is ever printed.
func (s scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: s.String(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Writer returns a writer that scrubs each write. Every write is scrubbed on its own, so a
// secret split across two writes would pass; all writers in this package write whole lines.
func (s scrubber) Writer(w io.Writer) io.Writer {
	if s.secret == "" {
		return w
	}
	return &scrubWriter{w: w, s: s}
}

type scrubWriter struct {
	w io.Writer
	s scrubber
}

func (w *scrubWriter) Write(p []byte) (int, error) {
	if !strings.Contains(string(p), w.s.secret) {
		return w.w.Write(p)
	}
	if _, err := io.WriteString(w.w, w.s.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
