package report

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"
)

// TestTableFits: tableFits, which spares a large group the table it will not use, says a
// table does not fit only when the table writeTextGroup would lay out is indeed wider than
// TextWidth, and says it fits whenever that table does.
func TestTableFits(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString([]string{"a", "·", "▼", " ", "1"}[r.Intn(5)])
		}
		return b.String()
	}
	seen := map[bool]int{}
	for i := range 2000 {
		nm := 1 + r.Intn(3)
		header := []string{"config"}
		for j := range nm {
			header = append(header, fmt.Sprintf("m%d", j))
		}
		header = append(header, "measured against")
		rows := make([][]string, 1+r.Intn(6))
		for k := range rows {
			for range header {
				rows[k] = append(rows[k], word(r.Intn(40)))
			}
		}
		var tb strings.Builder
		tw := tabwriter.NewWriter(&tb, 0, 4, 3, ' ', 0)
		fmt.Fprintf(tw, "  %s\n", strings.Join(header, "\t"))
		for _, row := range rows {
			fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
		}
		tw.Flush()
		want := true
		for _, l := range strings.Split(strings.TrimRight(tb.String(), "\n"), "\n") {
			if utf8.RuneCountInString(strings.TrimRight(l, " ")) > TextWidth {
				want = false
			}
		}
		if got := tableFits(header, rows, func(r []string) []string { return r }); got != want {
			t.Fatalf("case %d: tableFits %v, the table fits %v:\n%s", i, got, want, tb.String())
		}
		seen[want]++
	}
	if seen[true] < 100 || seen[false] < 100 {
		t.Errorf("cases that fit / do not: %d / %d; the test should see many of both", seen[true], seen[false])
	}
}
