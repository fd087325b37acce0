package ingest

import (
	"strconv"
	"strings"
)

func fmtFloats(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}
