package ingest

// Placeholders until the parsers land.
var (
	JSONLFormat   = &Format{Name: "jsonl", Sniff: func(string, []byte) bool { return false }}
	GoBenchFormat = &Format{Name: "gobench", Sniff: func(string, []byte) bool { return false }}
	TableFormat   = &Format{Name: "table", Sniff: func(string, []byte) bool { return false }}
)
