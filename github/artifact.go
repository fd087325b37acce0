package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/report"
)

// Files of a two-stage artifact directory.
const (
	ArtifactReport = "report.json"
	ArtifactPR     = "pr"
	ArtifactSHA    = "sha"
	// ArtifactID and ArtifactRunURL are optional (artifacts of older perfgate versions
	// lack them): the gate id, and the URL of the first stage's run, which holds the
	// benchmark's logs and which the second stage links to.
	ArtifactID     = "id"
	ArtifactRunURL = "run-url"
)

// MaxReportBytes caps a report read from an artifact. A config with two metrics takes about
// 1.3 kB of compact JSON, so a 5000-config suite is 6.3 MB, over the 5 MiB this was (audit
// D5: the fork pair then published only "did not finish"); 32 MiB takes about 25,000 configs.
// It bounds a hostile artifact, though not cheaply: the densest report under the cap, some
// 650,000 minimal results, took 4.8 s and 1.1 GB allocated to decode in review (16 s on a
// loaded machine), and Description as long again; a report of realistic results at the cap
// (TestLoadArtifactAtTheCap: 59,000 of them) allocates about 360 MB.
const MaxReportBytes = 32 << 20

// DecodeReport decodes and validates a JSON report written by "perfgate check --format
// json". name is used in error messages; a syntax error is given as name:line.
func DecodeReport(name string, data []byte) (*check.Report, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var rep check.Report
	if err := dec.Decode(&rep); err != nil {
		return nil, jsonError(name, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s:%d: unexpected data after the report", name, bench.LineAt(data, dec.InputOffset()))
	}
	if err := ValidateReport(&rep); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return &rep, nil
}

func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s:%d: invalid JSON: %v", name, bench.LineAt(data, se.Offset), se)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("%s:%d: a JSON %s, not a perfgate JSON report (an object)", name, bench.LineAt(data, te.Offset), te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("%s:%d: %s: cannot use a JSON %s as %s", name, bench.LineAt(data, te.Offset), te.Field, te.Value, te.Type)
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return fmt.Errorf("%s: empty file, not a perfgate JSON report", name)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// A report cut short (an interrupted write or upload): its last line is where it ends.
		return fmt.Errorf("%s:%d: the report ends early (a truncated file?): unexpected end of JSON input", name, bench.LineAt(data, int64(len(bytes.TrimRight(data, " \t\r\n")))))
	}
	return fmt.Errorf("%s: %v", name, err)
}

// ValidateReport checks what publishing relies on: a schema version this perfgate knows, a
// pass or fail verdict, and known statuses and directions. The two-stage mode reads reports
// from untrusted artifacts, so nothing else is assumed either: every string is escaped when
// rendered and the comment is capped.
func ValidateReport(rep *check.Report) error {
	if rep.Schema < 1 || rep.Schema > check.Schema {
		return fmt.Errorf("report schema %d is not supported (this perfgate reads schema %d); is this a 'perfgate check --format json' report?", rep.Schema, check.Schema)
	}
	if _, err := check.ParseVerdict(string(rep.Verdict)); err != nil {
		return fmt.Errorf("report %v", err)
	}
	if rep.Verdict == check.Pass && len(rep.Results) == 0 {
		// perfgate check exits 2 when nothing matches: a pass must mean "compared, and fine".
		return fmt.Errorf("report verdict %q with no results: nothing was compared, so it cannot pass (perfgate check never writes such a report)", rep.Verdict)
	}
	failing := false
	for i, r := range rep.Results {
		if !slices.Contains(check.Statuses, r.Status) {
			return fmt.Errorf("results[%d]: unknown status %q", i, r.Status)
		}
		if r.Key == "" {
			// The report's rows and counts are by config key: results without one would
			// merge into one row, and a failure among them could pass for another config's.
			return fmt.Errorf("results[%d]: no key (the config's canonical key, which perfgate check always writes)", i)
		}
		if r.Better != "" && r.Better != "higher" && r.Better != "lower" {
			return fmt.Errorf("results[%d]: better %q: want higher or lower", i, r.Better)
		}
		failing = failing || report.Fails(&rep.Results[i])
	}
	if failing && rep.Verdict != check.Fail {
		return fmt.Errorf("report verdict %q contradicts its results: some fail the gate", rep.Verdict)
	}
	return nil
}

// PrepareArtifact writes the first stage of the two-stage mode to dir (created if needed):
// report.json, pr (the pull request number) and sha (its head commit), and the optional
// files id when a.ID is set and run-url when a.RunURL is set, each ending in a newline.
// Upload dir as an artifact for the workflow_run workflow that runs LoadArtifact.
func PrepareArtifact(dir string, a *Artifact) error {
	rep, pr, sha := a.Report, a.PR, a.SHA
	if err := ValidateReport(rep); err != nil {
		return err
	}
	if a.ID != "" {
		if err := validID(a.ID); err != nil {
			return err
		}
	}
	if a.RunURL != "" {
		if err := ValidRunURL(a.RunURL); err != nil {
			return err
		}
	}
	if pr <= 0 {
		return errors.New("no pull request number: run in a pull_request workflow or pass --pr")
	}
	if _, err := ParseSHA(sha); err != nil {
		return err
	}
	// Written anyway, the second stage would refuse it (headMismatch), where no one looks.
	if err := headMismatch(rep, sha); err != nil {
		return err
	}
	data, err := json.Marshal(report.WithWords(rep)) // compact: the artifact is read by perfgate only
	if err != nil {
		return err
	}
	if len(data)+1 > MaxReportBytes {
		// Written anyway, LoadArtifact would refuse it in the second stage, where no one
		// looks, and the pull request would get no status at all.
		return fmt.Errorf("the report is %d bytes as JSON, over the %d MiB that 'publish --from' reads: split the sweep into several gates (a matrix of suites, each with its own --id)", len(data)+1, MaxReportBytes>>20)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct{ name, text string }{
		{ArtifactReport, string(data) + "\n"},
		{ArtifactPR, fmt.Sprintf("%d\n", pr)},
		{ArtifactSHA, sha + "\n"},
	}
	if a.ID != "" {
		files = append(files, struct{ name, text string }{ArtifactID, a.ID + "\n"})
	}
	if a.RunURL != "" {
		files = append(files, struct{ name, text string }{ArtifactRunURL, a.RunURL + "\n"})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// An Artifact is the first stage's output, read back by the second stage.
type Artifact struct {
	Report *check.Report
	PR     int
	SHA    string
	ID     string // gate id; "" if the artifact names none
	RunURL string // the first stage's workflow run; "" if the artifact names none
}

// LoadArtifact reads a directory written by PrepareArtifact. The directory comes from a workflow
// that ran the pull request's code, so it is treated as hostile: only regular files are read
// (no symbolic links), each within a size limit; pr and sha must be exactly a number and a
// full SHA; the report must decode and validate. All errors are *InputError.
// LoadArtifact does not contact GitHub: Publish with VerifyHead checks the pull request.
func LoadArtifact(dir string) (*Artifact, error) {
	a, err := LoadArtifactMeta(dir)
	if err != nil {
		return nil, err
	}
	repData, err := readArtifactFile(dir, ArtifactReport, MaxReportBytes)
	if err != nil {
		return nil, err
	}
	rep, err := DecodeReport(filepath.Join(dir, ArtifactReport), repData)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("artifact: %v", err)}
	}
	if err := headMismatch(rep, a.SHA); err != nil {
		return nil, inputErrorf("artifact: %s: %v", filepath.Join(dir, ArtifactReport), err)
	}
	a.Report = rep
	return a, nil
}

// headMismatch refuses a report whose provenance names another head commit than sha, the
// commit the artifact is published to (and the second stage checks is the pull request's
// head): the comment would show the report's head as the one measured. The provenance may
// name no head, or the same commit in short (at least 7 hex digits). sha is a full SHA
// (ParseSHA): lower-case hex, so a prefix of it is hex too.
func headMismatch(rep *check.Report, sha string) error {
	if rep.Provenance == nil || rep.Provenance.Head == "" {
		return nil
	}
	if head := strings.ToLower(rep.Provenance.Head); len(head) >= 7 && strings.HasPrefix(sha, head) {
		return nil
	}
	return fmt.Errorf("the report says it measured head %q (provenance.head), but the artifact is for commit %s: refusing a report of another commit (check out and benchmark the pull request's head: a pull_request workflow checks out a merge commit unless actions/checkout is given ref: ${{ github.event.pull_request.head.sha }})",
		bench.ShortCommit(rep.Provenance.Head), bench.ShortCommit(sha))
}

// LoadArtifactMeta reads what an artifact says about where to publish: pr, sha and the
// optional id and run-url, with the checks of LoadArtifact, but not the report (Report is
// nil). The second stage's error path uses it when the report is missing or damaged: the
// pull request and commit are still worth checking and marking. All errors are *InputError.
func LoadArtifactMeta(dir string) (*Artifact, error) {
	prData, err := readArtifactFile(dir, ArtifactPR, 64)
	if err != nil {
		return nil, err
	}
	shaData, err := readArtifactFile(dir, ArtifactSHA, 128)
	if err != nil {
		return nil, err
	}
	pr, err := ParsePR(strings.TrimSuffix(string(prData), "\n"))
	if err != nil {
		return nil, inputErrorf("artifact: %s: %v", filepath.Join(dir, ArtifactPR), err)
	}
	sha, err := ParseSHA(strings.TrimSuffix(string(shaData), "\n"))
	if err != nil {
		return nil, inputErrorf("artifact: %s: %v", filepath.Join(dir, ArtifactSHA), err)
	}
	a := &Artifact{PR: pr, SHA: sha}
	// The optional files: absent is fine, anything else must be valid.
	optional := func(name string) (string, error) {
		if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		data, err := readArtifactFile(dir, name, 512)
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(string(data), "\n"), nil
	}
	if a.ID, err = optional(ArtifactID); err != nil {
		return nil, err
	}
	if a.ID != "" {
		if err := validID(a.ID); err != nil {
			return nil, inputErrorf("artifact: %s: %v", filepath.Join(dir, ArtifactID), err)
		}
	}
	if a.RunURL, err = optional(ArtifactRunURL); err != nil {
		return nil, err
	}
	if a.RunURL != "" {
		if err := ValidRunURL(a.RunURL); err != nil {
			return nil, inputErrorf("artifact: %s: %v", filepath.Join(dir, ArtifactRunURL), err)
		}
	}
	return a, nil
}

// readArtifactFile reads dir/name if it is a regular file (not a symbolic link) of at most
// limit bytes.
func readArtifactFile(dir, name string, limit int64) ([]byte, error) {
	path := filepath.Join(dir, name)
	st, err := os.Lstat(path)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("artifact: %v", err)}
	}
	if !st.Mode().IsRegular() {
		return nil, inputErrorf("artifact: %s is not a regular file", path)
	}
	if st.Size() > limit {
		return nil, inputErrorf("artifact: %s is %d bytes; the limit is %d", path, st.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("artifact: %v", err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("artifact: %v", err)}
	}
	if int64(len(data)) > limit {
		return nil, inputErrorf("artifact: %s is over the %d-byte limit", path, limit)
	}
	return data, nil
}

// runURLRE matches a workflow run's page: http(s), no characters that could end a Markdown
// link or an HTML attribute, and the /actions/runs/ID path GitHub uses.
var runURLRE = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~-]+)*/actions/runs/[0-9]+(/attempts/[0-9]+)?$`)

// ValidRunURL checks that u is the URL of a workflow run, safe to link from Markdown.
func ValidRunURL(u string) error {
	if len(u) > 400 || !runURLRE.MatchString(u) {
		return fmt.Errorf("run URL %q is not of the form https://HOST/OWNER/REPO/actions/runs/ID", truncateForError(u))
	}
	return nil
}

// validID checks a gate id: it goes into an HTML comment, a status context and file names.
func validID(id string) error {
	if id == "" || strings.ContainsAny(id, "<>\r\n") || strings.Contains(id, "--") || !utf8.ValidString(id) || len(id) > 100 {
		return fmt.Errorf("gate id %q: use 1 to 100 characters without <, >, -- or line breaks", truncateForError(id))
	}
	return nil
}
