// Package report is the fourth stage of perfgate's pipeline: it renders a check.Report as a
// terminal table (Text), as Markdown for a pull-request comment or job summary (Markdown), or
// as versioned JSON (JSON).
//
// ingest → baseline → check → report → github: every renderer works from the same
// check.Report, so the terminal, the PR comment and the JSON artefact always agree. Anything
// taken from the data (config keys and values, metric names, reasons) is escaped in Markdown,
// so a config name cannot inject markup, HTML or @-mentions.
package report
