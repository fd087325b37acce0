package bench

import (
	"strings"
	"testing"
	"time"
)

// ParseDate is the one reading of a run's date: RFC 3339, ISO 8601 timestamps with a T or a
// space, with or without seconds, fractional seconds or an offset (none: UTC), and a day alone
// (its midnight UTC).
func TestParseDate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-24T03:00:00Z", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)},
		{"2026-11-24T03:00:00.5+02:00", time.Date(2026, 11, 24, 1, 0, 0, 5e8, time.UTC)},
		{"2026-11-24", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"2026-11-24T03:00:00", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)},
		{"2026-11-05T03:00:00.123456", time.Date(2026, 11, 5, 3, 0, 0, 123456000, time.UTC)},
		{"2026-11-24 03:00:00", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)},
		{"2026-11-24 03:00:00.25", time.Date(2026, 11, 24, 3, 0, 0, 25e7, time.UTC)},
		{"2026-11-05 03:00:00+00:00", time.Date(2026, 11, 5, 3, 0, 0, 0, time.UTC)},
		{"2026-11-05 03:00:00Z", time.Date(2026, 11, 5, 3, 0, 0, 0, time.UTC)},
		{"2026-11-05T03:00:00+0100", time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC)},
		{"2026-11-05 03:00:00-0100", time.Date(2026, 11, 5, 4, 0, 0, 0, time.UTC)},
		{"2026-11-24T03:00", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)},
		{"2026-11-24 03:00", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseDate(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "24/11/2026", "2026-11-24T", "2026-13-01", "1732417200"} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", bad, got)
		} else if !strings.Contains(err.Error(), `is not a time: want RFC 3339`) {
			t.Errorf("ParseDate(%q): error %q does not say what a date is", bad, err)
		}
	}
}

// NormalizeDate stores an RFC 3339 date as written, another form ParseDate reads as RFC 3339
// (UTC without an offset), and keeps one it cannot read as written, not ok.
func TestNormalizeDate(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"2026-11-24T03:00:00Z", "2026-11-24T03:00:00Z", true},
		{"2026-11-24T03:00:00.5+02:00", "2026-11-24T03:00:00.5+02:00", true}, // as written
		{"2026-11-24", "2026-11-24T00:00:00Z", true},
		{"2026-11-24T03:00:00", "2026-11-24T03:00:00Z", true},
		{"2026-11-05T03:00:00.123456", "2026-11-05T03:00:00.123456Z", true},
		{"2026-11-24 03:00:00", "2026-11-24T03:00:00Z", true},
		{"2026-11-24 03:00:00.25", "2026-11-24T03:00:00.25Z", true},
		{"2026-11-05 03:00:00+00:00", "2026-11-05T03:00:00Z", true},
		{"2026-11-05T03:00:00+0100", "2026-11-05T03:00:00+01:00", true},
		{"2026-11-24T03:00", "2026-11-24T03:00:00Z", true},
		{"yesterday", "yesterday", false},
		{"24/11/2026", "24/11/2026", false},
	} {
		got, ok := NormalizeDate(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
