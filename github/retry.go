package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Retry limits. A gate makes a handful of API calls, so these are generous per call and the
// total time spent waiting is bounded by Options.MaxWait: the sleeps between attempts and the
// attempts that timed out both count.
const (
	maxAttempts       = 5                // per request, the first included
	firstBackoff      = time.Second      // after a server error or time-out; doubled each time
	rateLimitFallback = time.Minute      // a rate limit without Retry-After or reset time
	attemptTimeout    = 30 * time.Second // per HTTP attempt
	defaultMaxWait    = 3 * time.Minute  // total sleep and timed-out attempts across one Publish call
)

// A retrier sleeps between attempts and keeps the total time lost to retries (sleeps and
// timed-out attempts) within a budget.
type retrier struct {
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
	maxWait time.Duration
	logf    func(format string, args ...any)

	mu     sync.Mutex
	waited time.Duration
	// unresponsive is set once time-outs used up the budget: GitHub is not answering, and
	// every later request fails at once with it instead of waiting out its own time-outs.
	unresponsive error
}

// charge takes d, time spent on an attempt that timed out, from the budget, even past it.
func (r *retrier) charge(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waited += d
}

func (r *retrier) giveUp(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unresponsive = err
}

func (r *retrier) givenUp() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unresponsive
}

// sleepContext sleeps for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reserve takes d from the budget, or reports false if the budget cannot cover it.
func (r *retrier) reserve(d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waited+d > r.maxWait {
		return false
	}
	r.waited += d
	return true
}

// A rateLimitGiveUp reports a wait that would have exceeded the budget.
type rateLimitGiveUp struct {
	why     string
	wait    time.Duration
	maxWait time.Duration
}

func (e *rateLimitGiveUp) Error() string {
	return fmt.Sprintf("%s: not waiting %v more (retry waits are limited to %v in total)", e.why, e.wait.Round(time.Second), e.maxWait)
}

// call runs fn and, if it fails on a rate limit that go-github remembered (or passed through
// because the transport's budget ran out), waits it out once within the budget and retries.
// It never retries twice: a client that still refuses after the wait is reported, not spun on.
func (r *retrier) call(ctx context.Context, fn func() error) error {
	err := fn()
	d, why, ok := r.rememberedLimit(err)
	if !ok {
		return err
	}
	if !r.reserve(d) {
		return fmt.Errorf("%w: %w", err, &rateLimitGiveUp{why: why, wait: d, maxWait: r.maxWait})
	}
	r.logf("%s: waiting %v", why, d)
	if werr := r.sleep(ctx, d); werr != nil {
		return werr
	}
	return fn()
}

func (r *retrier) rememberedLimit(err error) (time.Duration, string, bool) {
	var rl *gh.RateLimitError
	var arl *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		d := rl.Rate.Reset.Time.Sub(r.now()) + time.Second
		return max(d, 0), "primary rate limit", true
	case errors.As(err, &arl):
		d := arl.GetRetryAfter()
		if arl.RetryAfter == nil {
			d = rateLimitFallback
		}
		return max(d, 0), "secondary rate limit", true
	}
	return 0, "", false
}

// maxCreates bounds the creates sent for one comment or check run. A create that failed but
// may have gone through (mayHaveLanded) is sent again only after a lookup found that it did
// not.
const maxCreates = 3

// pages reads a listing page by page from the first: list fetches the page opts names (each
// fetch retried as every call is), then visit looks at what it returned and says whether to
// go on. It stops when the answer names no further page, visit is done, or maxPages pages were
// read (0: no limit), and reports whether pages were left unread at that limit.
func (p *publisher) pages(ctx context.Context, opts *gh.ListOptions, maxPages int, list func() (*gh.Response, error), visit func() bool) (truncated bool, err error) {
	for n := 1; ; n++ {
		var resp *gh.Response
		if err := p.retry.call(ctx, func() (err error) {
			resp, err = list()
			return err
		}); err != nil {
			return false, err
		}
		if !visit() || resp.NextPage == 0 || resp.NextPage == opts.Page {
			return false, nil
		}
		if n == maxPages {
			return true, nil
		}
		opts.Page = resp.NextPage
	}
}

// noRetryKey marks a request that must not be sent again once the server may have acted on
// it (creating a comment twice would post it twice). Rate-limit answers are still retried:
// GitHub did not process those requests.
type noRetryKey struct{}

func withoutServerRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

// A retryTransport retries server errors, time-outs and rate limits below go-github, so that
// go-github never sees, and never remembers, a limit that was waited out.
type retryTransport struct {
	base http.RoundTripper
	r    *retrier
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	noServerRetry, _ := req.Context().Value(noRetryKey{}).(bool)
	if err := t.r.givenUp(); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot resend the request body", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(req.Context())
			try.Body = body
		}
		ctx, cancel := context.WithTimeout(req.Context(), attemptTimeout)
		resp, err := t.base.RoundTrip(try.WithContext(ctx))
		wait, why, retry := t.classify(req, resp, err, attempt, noServerRetry)
		if err == nil {
			t.r.logf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
		} else {
			t.r.logf("%s %s: %v", req.Method, req.URL.Path, err)
		}
		timedOut := err != nil && isTimeout(err) && req.Context().Err() == nil
		if timedOut {
			t.r.charge(attemptTimeout)
		}
		if !retry || attempt >= maxAttempts || !t.r.reserve(wait) {
			if timedOut && !t.r.reserve(0) {
				t.r.giveUp(fmt.Errorf("GitHub did not answer: requests timed out for %v in total (retries are limited to %v): %w", t.r.spent().Round(time.Second), t.r.maxWait, err))
			}
			if resp != nil {
				resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
			} else {
				cancel()
			}
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		cancel()
		t.r.logf("%s %s: %s; retrying in %v", req.Method, req.URL.Path, why, wait)
		if err := t.r.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// classify says whether an attempt is worth repeating, and after how long.
func (t *retryTransport) classify(req *http.Request, resp *http.Response, err error, attempt int, noServerRetry bool) (time.Duration, string, bool) {
	backoff := firstBackoff << (attempt - 1)
	if err != nil {
		if req.Context().Err() != nil || noServerRetry {
			return 0, "", false
		}
		if isTimeout(err) {
			return backoff, "time-out", true
		}
		return 0, "", false
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return t.limitWait(resp), "rate limited (429)", true
	case code == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") == "0":
		return t.limitWait(resp), "primary rate limit exceeded", true
	case code == http.StatusForbidden && isSecondaryLimit(resp):
		return t.limitWait(resp), "secondary rate limit exceeded", true
	case code >= 500 && code <= 599 && code != http.StatusNotImplemented:
		if noServerRetry {
			return 0, "", false
		}
		if d, ok := retryAfter(resp); ok {
			return d, resp.Status, true
		}
		return backoff, resp.Status, true
	}
	return 0, "", false
}

// limitWait follows GitHub's rules: Retry-After if present, else the reset time if the
// remaining quota is zero, else at least a minute.
func (t *retryTransport) limitWait(resp *http.Response) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return d
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if sec, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(sec, 0).Sub(t.r.now())+time.Second, 0)
		}
	}
	return rateLimitFallback
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	sec, err := strconv.ParseInt(v, 10, 32)
	if err != nil || sec < 0 {
		return 0, false
	}
	return time.Duration(sec) * time.Second, true
}

// isSecondaryLimit reports whether a 403 is a secondary rate limit, reading (and restoring)
// the start of the body the way go-github's CheckResponse would.
func isSecondaryLimit(resp *http.Response) bool {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rest), rest}
	if err != nil {
		return false
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	json.Unmarshal(data, &e)
	return strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") ||
		strings.HasSuffix(e.DocumentationURL, "#abuse-rate-limits") ||
		strings.Contains(strings.ToLower(e.Message), "secondary rate limit")
}

// A cancelBody releases a per-attempt context when the caller closes the body.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// isTimeout reports whether err is a time-out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// spent returns the time taken from the budget so far.
func (r *retrier) spent() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waited
}
