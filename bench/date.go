package bench

import (
	"fmt"
	"time"
)

// dateLayouts are the forms ParseDate reads besides RFC 3339: ISO 8601 timestamps with a T or
// a space (Python's datetime.now().isoformat() and str(datetime)), with or without seconds,
// with or without an offset, and a day alone. Fractional seconds are read after any seconds.
var dateLayouts = []string{
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05-0700",
	"2006-01-02 15:04:05-0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

// ParseDate reads a run's date: RFC 3339 (2026-11-24T03:00:00Z), an ISO 8601 timestamp
// without an offset, with a T or a space (2026-11-24T03:00:00.123456, 2026-11-24 03:00:00),
// read as UTC, one with an offset after a space (2026-11-24 03:00:00+00:00), or a day alone
// (2026-11-24), its midnight UTC. It is the one reading of dates: the readers' (which store
// the other forms as RFC 3339, NormalizeDate) and the store's (which orders batches by it,
// including dates an older perfgate stored as written, a day alone).
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not a time: want RFC 3339 (2026-11-24T03:00:00Z), an ISO 8601 timestamp (2026-11-24T03:00:00, 2026-11-24 03:00:00, read as UTC) or a day (2026-11-24)", s)
}

// NormalizeDate returns date as a store holds it: an RFC 3339 date as written, another form
// ParseDate reads in RFC 3339 (UTC when it gives no offset), and one it cannot read as
// written, with ok false. No date ("") is none.
func NormalizeDate(date string) (string, bool) {
	if date == "" {
		return "", true // no date
	}
	if _, err := time.Parse(time.RFC3339, date); err == nil {
		return date, true
	}
	t, err := ParseDate(date)
	if err != nil {
		return date, false
	}
	return t.Format(time.RFC3339Nano), true
}
