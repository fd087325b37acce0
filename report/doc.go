// Package report renders check's decisions; it is the only package that turns them into
// words. Its output formats are registered in Formats, each with one Renderer signature:
// text for the terminal (Text), Markdown for a pull-request comment or job summary (Markdown)
// and versioned JSON (JSON); text and JSON also render a baseline description (the
// "baseline show" table). Adding a format is one new file and one line in Formats.
//
// bench → ingest → baseline → check → report → github: every renderer works from the same
// check.Report, so the terminal, the PR comment and the JSON artefact always agree. Words come
// from words.go: Reason for a result's typed caveats, Notes for the report's remarks and
// MethodSummary for its method. A report read back from JSON carries the words instead of the
// typed values, and renders the same. Anything taken from the data (config keys and values,
// metric names, reasons) is escaped in Markdown, so a config name cannot inject markup, HTML or
// @-mentions.
//
// It also renders a history.History (perfgate history): HistoryText, HistoryMarkdown,
// HistoryJSON and HTML, the self-contained dashboard page. Their signature takes the history
// rather than a check.Report, so they are not in Formats; the history command picks among them.
package report
