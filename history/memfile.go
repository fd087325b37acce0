package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/check"
	"github.com/perfgate/perfgate/internal/atomicfile"
)

// MemoryFile is the file, beside the store's baseline.txt, where the nightly update records
// the memory it learned from the store's history (RecordMemory), so that a check reads one
// file instead of the store's last MemoryCommits versions, and has the memory in a shallow
// clone too.
const MemoryFile = "memory.json"

// memorySchema is the version of MemoryFile's form. 2: the memory is learned from the older
// runs alone (check.NoisyMemory); a record of schema 1 was learned with the store's own runs
// too, which the check then counted twice, so it is not used.
const memorySchema = 2

// memoryRecord is MemoryFile's content.
type memoryRecord struct {
	Schema int `json:"schema"`
	// Store identifies the runs the memory was learned with (storeDigest): a check uses the
	// record only for exactly that store.
	Store string `json:"store"`
	// Learned is what of the options the memory was learned with (check.NoisyMemory): a
	// check with other options (a flag, another config file) does not use the record.
	Learned learnedWith   `json:"learned_with"`
	Runs    int           `json:"older_runs"`
	Commits int           `json:"commits"`
	Memory  *check.Memory `json:"memory"`
}

// learnedWith is what check.NoisyMemory reads of its options.
type learnedWith struct {
	MinHistoryRuns int      `json:"min_history_runs"`
	SpeedMetrics   []string `json:"speed_metrics"`
}

func learnedWithOf(opts check.Options) learnedWith {
	return learnedWith{MinHistoryRuns: opts.MinHistoryRuns, SpeedMetrics: opts.SpeedMetrics}
}

func (l learnedWith) equal(m learnedWith) bool {
	return l.MinHistoryRuns == m.MinHistoryRuns && slices.Equal(l.SpeedMetrics, m.SpeedMetrics)
}

// storeDigest identifies a store's runs, whatever the file's formatting: the memory recorded
// for a store is valid for that store only. A run counts with everything of it that the
// memory is learned from (check.NoisyMemory): its config, batch, date, commit, outcome and
// each metric's values, so a value edited by hand makes the record another store's too.
func storeDigest(runs []bench.Run) string {
	ids := make([]string, len(runs))
	var b []byte
	for i := range runs {
		r := &runs[i]
		b = append(b[:0], r.ConfigKey()...)
		for _, f := range [...]string{r.Batch, r.Date, r.Commit, string(r.Outcome)} {
			b = append(append(b, 0), f...)
		}
		for _, m := range r.Metrics {
			b = append(append(b, 0), m.Name...)
			for _, v := range m.Values {
				b = strconv.AppendFloat(append(b, ' '), v, 'g', -1, 64)
			}
		}
		ids[i] = string(b)
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RecordMemory writes mem, the memory learned with opts for the store of runs in dir from
// older runs of its history in commits commits (as Older counted them), to dir/MemoryFile,
// atomically; the caller holds the store's lock (baseline.Update) and has removed the record
// and its temporary files (ForgetMemory). runs are the store's as a check reads them back
// (baseline.AsStored of runs not saved yet): the record is found by their digest.
//
// In a shallow clone that cut the history short of MemoryCommits commits it records nothing:
// Older finds older runs there too (those of the versions the
// clone holds, such as the runs this update pruned), and a record learned from them would
// be read by every check of the store, in full clones too, in place of the month of history
// the memory is meant to learn from. So an update in a shallow clone removes the record, as
// the README says.
func RecordMemory(dir string, runs []bench.Run, mem *check.Memory, older, commits int, opts check.Options) error {
	if commits < MemoryCommits && baseline.Shallow(context.Background(), dir) {
		return nil
	}
	rec := memoryRecord{Schema: memorySchema, Store: storeDigest(runs), Learned: learnedWithOf(opts), Runs: older, Commits: commits, Memory: mem}
	data, err := json.MarshalIndent(rec, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, MemoryFile), append(data, '\n'), 0o644)
}

// RecordedMemory returns the memory recorded in dir/MemoryFile for the store of runs and a
// check with opts, and a check.MemoryUsed remark saying what it was learned from. ok is false
// when there is none for this store and these options: no file, a file for other runs (a
// store changed since, by hand or by a merge), one learned with other options (a check's
// --min-history or config file that the nightly update did not have), or one that cannot be
// read (a merge conflict in it, a newer schema), or one of an older schema; the caller then
// learns the memory from the history itself. When there is a file it does not use, the remark is a
// check.MemoryRecordIgnored saying why.
func RecordedMemory(dir string, runs []bench.Run, opts check.Options) (mem *check.Memory, remark check.Remark, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, MemoryFile))
	if err != nil {
		return nil, nil, false
	}
	var rec memoryRecord
	err = json.Unmarshal(data, &rec)
	if err == nil && rec.Schema >= 1 && rec.Schema < memorySchema { // an older perfgate's: the next update records it anew
		return nil, check.MemoryRecordIgnored{OlderSchema: true}, false
	}
	if err != nil || rec.Schema != memorySchema || rec.Memory == nil {
		return nil, check.MemoryRecordIgnored{}, false
	}
	otherRuns, otherOpts := rec.Store != storeDigest(runs), !rec.Learned.equal(learnedWithOf(opts))
	if otherRuns || otherOpts {
		return nil, check.MemoryRecordIgnored{OtherRuns: otherRuns, OtherOptions: otherOpts}, false
	}
	return rec.Memory, check.MemoryUsed{Runs: rec.Runs, Commits: rec.Commits, Recorded: true}, true
}

// ForgetMemory removes the memory recorded in dir (RecordMemory), and the temporary files an
// interrupted update left, before the store in dir changes; the caller holds the store's lock.
func ForgetMemory(dir string) error {
	path := filepath.Join(dir, MemoryFile)
	if _, err := atomicfile.CleanTemps(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// IsMemoryRecord reports whether data is a memory record (MemoryFile's content, of any
// schema): what perfgate's merge driver is handed when .gitattributes names memory.json
// too.
func IsMemoryRecord(data []byte) bool {
	var probe struct {
		Schema *int            `json:"schema"`
		Store  *string         `json:"store"`
		Memory json.RawMessage `json:"memory"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.Schema != nil && probe.Store != nil
}
