package report

import (
	"encoding/json"
	"io"

	"github.com/perfgate/perfgate/check"
)

// JSON writes the report as indented JSON in the versioned schema of check.Report, with its
// words filled in (WithWords).
func JSON(w io.Writer, rep *check.Report, _ Options) error { return writeJSON(w, WithWords(rep)) }

// DescribeJSON writes a baseline description as indented JSON.
func DescribeJSON(w io.Writer, d *check.Description, _ Options) error {
	return writeJSON(w, describeWithWords(d))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
