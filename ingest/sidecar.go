package ingest

// isSidecar reports whether path is a JSON sidecar that describes a log beside it rather
// than a results file of its own.
func isSidecar(path string) bool { return false }
