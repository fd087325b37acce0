package report

import (
	"encoding/json"
	"io"

	"github.com/perfgate/perfgate/check"
)

// JSON writes the report as indented JSON in the versioned schema of check.Report.
func JSON(w io.Writer, rep *check.Report) error { return WriteJSON(w, rep) }

// WriteJSON writes any value as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
