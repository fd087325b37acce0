package check

// Provenance says what a report compared and with what, so a reader can tell a current
// report from a stale one: the commits on both sides, the runs, the hardware, the perfgate
// version and the options of the command. The command that ran the check fills it; check
// itself never does. It is not part of schema 1's required fields: absent in older reports.
type Provenance struct {
	// Head is the commit the new results were measured at (the pull request's head).
	Head string `json:"head,omitempty"`
	// Baseline is the commit of the newest baseline run, and BaselineDate its date
	// (RFC 3339); BaselineRef is the git ref the baseline was read at, if any.
	Baseline     string `json:"baseline,omitempty"`
	BaselineDate string `json:"baseline_date,omitempty"`
	BaselineRef  string `json:"baseline_ref,omitempty"`
	// BaselineRuns and NewRuns count the runs on each side; Configs counts the configs of
	// the report.
	BaselineRuns int `json:"baseline_runs"`
	NewRuns      int `json:"new_runs"`
	Configs      int `json:"configs"`
	// Hardware lists the values of the config keys that describe the hardware (gpu,
	// nodes, …) across the new runs, as key → "v1, v2".
	Hardware map[string]string `json:"hardware,omitempty"`
	// Version is perfgate's version, from its build information.
	Version string `json:"version,omitempty"`
	// Options are the command's flags as given, e.g. "--alpha=0.01".
	Options []string `json:"options,omitempty"`
	// Date is when the check ran (RFC 3339).
	Date string `json:"date,omitempty"`
}
