package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flags are shown in groups in --help, as gh does: each flag carries its group as an
// annotation, and the usage template lists the groups in this order.
const flagGroupAnnotation = "perfgate_group"

const (
	groupGate       = "gate"
	groupStatistics = "statistics"
	groupInputs     = "inputs"
	groupPublishing = "publishing"
	groupStore      = "store"
)

var flagGroupTitles = []struct{ id, title string }{
	{groupStore, "Store flags (what is stored, and as what)"},
	{groupGate, "Gate flags (what is compared, and where the report goes)"},
	{groupStatistics, "Statistics flags (how a change is judged)"},
	{groupInputs, "Input flags (how results are read)"},
	{groupPublishing, "Publishing flags (GitHub)"},
}

// setGroup puts the named flags of fs in group.
func setGroup(fs *pflag.FlagSet, group string, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, flagGroupAnnotation, []string{group}); err != nil {
			panic(err) // a flag name typed wrong here: a programming error caught by the help tests
		}
	}
}

// groupOf returns the group of a flag, or "" when it has none.
func groupOf(f *pflag.Flag) string {
	if g := f.Annotations[flagGroupAnnotation]; len(g) > 0 {
		return g[0]
	}
	return ""
}

// flagGroups renders a command's local flags by group, for the usage template.
func flagGroups(c *cobra.Command) string {
	sets := map[string]*pflag.FlagSet{}
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := groupOf(f)
		if sets[g] == nil {
			sets[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
		}
		sets[g].AddFlag(f)
	})
	var b strings.Builder
	for _, t := range flagGroupTitles {
		if fs := sets[t.id]; fs != nil {
			b.WriteString(t.title + ":\n" + strings.TrimRight(fs.FlagUsagesWrapped(120), " \n") + "\n\n")
		}
	}
	if fs := sets[""]; fs != nil {
		title := "Flags"
		if b.Len() > 0 {
			title = "Other flags"
		}
		b.WriteString(title + ":\n" + strings.TrimRight(fs.FlagUsagesWrapped(120), " \n") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// groupedUsage returns cobra's usage template with the flags listed by group.
func groupedUsage(tmpl string) string {
	const flat = "Flags:\n{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}"
	return strings.Replace(tmpl, flat, "{{flagGroups .}}", 1)
}
