package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfgate/perfgate/check"
)

// Options tune rendering. Each format reads the fields that bear on it.
type Options struct {
	// Color marks statuses with ANSI colours (text); set it only when writing to a terminal.
	Color bool
	// Markdown tunes the Markdown format.
	Markdown MarkdownOptions
	// Source names where a described baseline was read from ("baseline show" text).
	Source string
	// Brief leaves the unchanged rows, the sweep and the method out of the text report (it
	// still counts them): what a terminal shows when the full report went to a file.
	Brief bool
}

// A Renderer writes a report in one format.
type Renderer func(w io.Writer, rep *check.Report, opts Options) error

// A Format is an output format.
type Format struct {
	// Name is what --format takes.
	Name string
	// Doc is a one-line description.
	Doc string
	// Render writes a check report.
	Render Renderer
	// Describe writes a baseline description ("baseline show"); nil when the format has no
	// view of one.
	Describe func(w io.Writer, d *check.Description, opts Options) error
}

// Formats lists every output format. To add one: a new file with a Renderer and one line here.
var Formats = []*Format{
	{Name: "text", Doc: "a table for the terminal", Render: Text, Describe: DescribeText},
	{Name: "markdown", Doc: "a pull-request comment or job summary", Render: markdown},
	{Name: "json", Doc: "the versioned JSON schema", Render: JSON, Describe: DescribeJSON},
}

// LookupFormat returns the output format called name.
func LookupFormat(name string) (*Format, error) {
	return lookupFormat(name, func(*Format) bool { return true })
}

// LookupDescribeFormat returns the output format called name if it can describe a baseline.
func LookupDescribeFormat(name string) (*Format, error) {
	return lookupFormat(name, func(f *Format) bool { return f.Describe != nil })
}

// lookupFormat returns the format called name among those that pass keep.
func lookupFormat(name string, keep func(*Format) bool) (*Format, error) {
	for _, f := range Formats {
		if f.Name == name && keep(f) {
			return f, nil
		}
	}
	return nil, fmt.Errorf("must be %s, not %q", FormatNames(keep), name)
}

// FormatNames lists the names of the formats that pass keep, as "a, b or c".
func FormatNames(keep func(*Format) bool) string {
	var names []string
	for _, f := range Formats {
		if keep(f) {
			names = append(names, f.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func markdown(w io.Writer, rep *check.Report, opts Options) error {
	_, err := io.WriteString(w, Markdown(rep, opts.Markdown))
	return err
}
