// Package githubtest is a fake of the part of the GitHub REST API that perfgate publishes
// to: pull requests, issue comments (paginated), commit statuses (listed and combined,
// paginated) and check runs. It is a real HTTP server on 127.0.0.1, mounted under /api/v3/
// as GitHub Enterprise Server is, and it enforces GitHub's limits (comment size, status description, 50 annotations per
// request), so a client bug shows up as a failed request. Any request it does not know is
// answered 599 and recorded in Unexpected.
package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// BasePath is where the API is mounted.
const BasePath = "/api/v3"

// A Comment is an issue comment.
type Comment struct {
	ID    int64
	Issue int
	Body  string
	User  string
}

// A Status is a commit status.
type Status struct {
	SHA, State, Context, Description, TargetURL string
}

// A CheckRun is a check run with the annotations of all its requests.
type CheckRun struct {
	ID                                  int64
	Name, HeadSHA, Status, Conclusion   string
	Title, Summary, ExternalID, Details string
	Annotations                         []Annotation
	Requests                            int // create plus updates
}

// An Annotation is a check run annotation.
type Annotation struct {
	Path, Level, Title, Message string
	StartLine, EndLine          int
}

// A Request is one request the server received.
type Request struct {
	Method string
	Path   string // with BasePath and query
	Auth   string // the Authorization header
	Body   string
}

func (r Request) String() string { return r.Method + " " + r.Path }

// A Fault is a canned answer given instead of the real one to the next Times requests that
// match Method and Path (a path.Match pattern relative to BasePath, such as
// "/repos/o/r/issues/*/comments").
type Fault struct {
	Method, Path string
	Times        int // 0: every matching request
	Status       int
	Header       map[string]string
	Body         string
	// Apply carries out the request before answering with the fault, as a server that
	// fails after doing the work would.
	Apply bool
}

// Standard fault bodies.
const (
	BodyNotAccessible  = `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}`
	BodySecondaryLimit = `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
)

// A Server is the fake API.
type Server struct {
	*httptest.Server
	// Repo is the only repository that exists, "owner/name".
	Repo string
	// Token is the token requests must carry as "Bearer TOKEN"; "" accepts any.
	Token string

	// Members are the logins whose comments the API marks author_association MEMBER;
	// other people's are NONE. Logins ending in "[bot]" are of type Bot, others User.
	Members map[string]bool
	// Viewer is the login GET /user returns, as for a personal token. "" answers 403
	// "Resource not accessible by integration", as GitHub does for installation tokens.
	Viewer string
	// ActionsDetailsURL, when set, is every check run's details_url, whatever a create or
	// update sends: GitHub does not keep the details_url of a check run that GITHUB_TOKEN
	// creates in a workflow, and links the job instead (LouisBrunner/checks-action#18).
	ActionsDetailsURL string

	mu         sync.Mutex
	prs        map[int]string // number → head SHA
	headRepos  map[int]string // number → head repository's full name, when set
	comments   []*Comment
	statuses   []Status
	checkRuns  []*CheckRun
	requests   []Request
	faults     []*Fault
	unexpected []string
	nextID     int64
	onUnknown  func(string)
}

// New starts a server for repo. onUnexpected, if not nil, is called for each request the
// fake does not implement (tests pass t.Errorf-like functions).
func New(repo string, onUnexpected func(msg string)) *Server {
	s := &Server{Repo: repo, prs: map[int]string{}, nextID: 1000, onUnknown: onUnexpected}
	api := http.NewServeMux()
	api.HandleFunc("GET /user", s.getUser)
	api.HandleFunc("GET /repos/{owner}/{repo}/pulls/{n}", s.getPull)
	api.HandleFunc("GET /repos/{owner}/{repo}/issues/{n}/comments", s.listComments)
	api.HandleFunc("POST /repos/{owner}/{repo}/issues/{n}/comments", s.createComment)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	api.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	api.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/statuses", s.listStatuses)
	api.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/status", s.combinedStatus)
	api.HandleFunc("POST /repos/{owner}/{repo}/check-runs", s.createCheckRun)
	api.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.updateCheckRun)
	api.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.listCheckRuns)
	api.HandleFunc("GET /repos/{owner}/{repo}/check-runs/{id}", s.getCheckRun)
	api.HandleFunc("/", s.unknown)
	root := http.NewServeMux()
	root.Handle(BasePath+"/", s.middleware(http.StripPrefix(BasePath, api)))
	root.HandleFunc("/", s.unknown) // the base path was lost: an absolute-URL bug
	s.Server = httptest.NewServer(root)
	return s
}

// APIURL is the value for GITHUB_API_URL.
func (s *Server) APIURL() string { return s.URL + BasePath }

// AddPR adds pull request n with the given head commit.
func (s *Server) AddPR(n int, head string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prs[n] = head
}

// SetHeadRepo sets the full name of pull request n's head repository (a fork's owner/name),
// which the pull request's head.repo then reports; without it the head has no repo.
func (s *Server) SetHeadRepo(n int, repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headRepos == nil {
		s.headRepos = map[int]string{}
	}
	s.headRepos[n] = repo
}

// AddComment adds a comment on issue n by user and returns its ID.
func (s *Server) AddComment(n int, user, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.comments = append(s.comments, &Comment{ID: s.nextID, Issue: n, Body: body, User: user})
	return s.nextID
}

// AddFault queues a fault.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Comments returns a copy of the comments.
func (s *Server) Comments() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Comment, len(s.comments))
	for i, c := range s.comments {
		out[i] = *c
	}
	return out
}

// Statuses returns the statuses set so far.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

// CheckRuns returns copies of the check runs.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, len(s.checkRuns))
	for i, c := range s.checkRuns {
		out[i] = *c
		out[i].Annotations = append([]Annotation(nil), c.Annotations...)
	}
	return out
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Unexpected returns the requests the fake did not implement.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

// Log returns one line per request ("METHOD PATH"), then one per unexpected request.
func (s *Server) Log() string {
	var b strings.Builder
	for _, r := range s.Requests() {
		fmt.Fprintln(&b, r)
	}
	for _, u := range s.Unexpected() {
		fmt.Fprintln(&b, "UNEXPECTED", u)
	}
	return b.String()
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.RequestURI(), Auth: r.Header.Get("Authorization"), Body: string(body)})
		f := s.fault(r)
		s.mu.Unlock()
		if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
			return
		}
		if f != nil {
			if f.Apply {
				next.ServeHTTP(httptest.NewRecorder(), r)
			}
			for k, v := range f.Header {
				w.Header().Set(k, v)
			}
			if f.Body != "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fault returns the first queued fault matching r, using it up. s.mu is held.
func (s *Server) fault(r *http.Request) *Fault {
	p := strings.TrimPrefix(r.URL.Path, BasePath)
	for i, f := range s.faults {
		if ok, _ := path.Match(f.Path, p); !ok || (f.Method != "" && f.Method != r.Method) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	msg := r.Method + " " + r.URL.RequestURI()
	s.mu.Lock()
	s.unexpected = append(s.unexpected, msg)
	s.mu.Unlock()
	if s.onUnknown != nil {
		s.onUnknown("githubtest: unexpected request " + msg)
	}
	http.Error(w, "githubtest: not implemented: "+msg, 599)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func invalid(w http.ResponseWriter, resource, field, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed",
		"errors":  []map[string]string{{"resource": resource, "code": "custom", "field": field, "message": msg}},
	})
}

// repoOK checks the repository in the path. s.mu is held.
func (s *Server) repoOK(r *http.Request) bool {
	return r.PathValue("owner")+"/"+r.PathValue("repo") == s.Repo
}

// pr returns the pull request number in the path if it exists. s.mu is held.
func (s *Server) pr(r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || !s.repoOK(r) {
		return 0, false
	}
	_, ok := s.prs[n]
	return n, ok
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Viewer == "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, BodyNotAccessible)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"login": s.Viewer, "type": "User"})
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pr(r)
	if !ok {
		notFound(w)
		return
	}
	head := map[string]any{"sha": s.prs[n]}
	if repo, ok := s.headRepos[n]; ok {
		head["repo"] = map[string]any{"full_name": repo}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"number": n, "state": "open",
		"head": head,
		"base": map[string]any{"repo": map[string]any{"full_name": s.Repo}},
	})
}

func (s *Server) commentJSON(c *Comment) map[string]any {
	typ, assoc := "User", "NONE"
	if strings.HasSuffix(c.User, "[bot]") {
		typ = "Bot"
	}
	if s.Members[c.User] {
		assoc = "MEMBER"
	}
	return map[string]any{
		"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.User, "type": typ},
		"author_association": assoc,
		"html_url":           fmt.Sprintf("https://github.example/%s/pull/%d#issuecomment-%d", s.Repo, c.Issue, c.ID),
	}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pr(r)
	if !ok {
		notFound(w)
		return
	}
	var all []*Comment
	for _, c := range s.comments {
		if c.Issue == n {
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	lo, hi := s.page(w, r, len(all))
	out := []map[string]any{}
	for _, c := range all[lo:hi] {
		out = append(out, s.commentJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// page returns the bounds of the page r asks for (per_page, at most 100, default 30; page)
// in a list of n items, and sets the Link header to the next and last pages when there are
// more. s.mu is held.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	lo, hi = min((page-1)*perPage, n), min(page*perPage, n)
	if hi < n {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(page+1))
		u.RawQuery = q.Encode()
		last := (n + perPage - 1) / perPage
		q.Set("page", strconv.Itoa(last))
		lu := *r.URL
		lu.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s%s>; rel="next", <%s%s%s>; rel="last"`, s.URL, BasePath, u.RequestURI(), s.URL, BasePath, lu.RequestURI()))
	}
	return lo, hi
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON: " + err.Error()})
		return false
	}
	return true
}

// checkBody enforces GitHub's comment size limit.
func checkBody(w http.ResponseWriter, body *string) bool {
	if body == nil {
		invalid(w, "IssueComment", "body", "body is missing")
		return false
	}
	if utf8.RuneCountInString(*body) >= 65536 {
		invalid(w, "IssueComment", "body", "Body is too long (maximum is 65536 characters)")
		return false
	}
	return true
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	var in struct{ Body *string }
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pr(r)
	if !ok {
		notFound(w)
		return
	}
	if !checkBody(w, in.Body) {
		return
	}
	s.nextID++
	c := &Comment{ID: s.nextID, Issue: n, Body: *in.Body, User: "github-actions[bot]"}
	s.comments = append(s.comments, c)
	writeJSON(w, http.StatusCreated, s.commentJSON(c))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	var in struct{ Body *string }
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	for _, c := range s.comments {
		if c.ID == id {
			if !checkBody(w, in.Body) {
				return
			}
			c.Body = *in.Body
			writeJSON(w, http.StatusOK, s.commentJSON(c))
			return
		}
	}
	notFound(w)
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State, Description, Context string
		TargetURL                   string `json:"target_url"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	switch {
	case in.State != "success" && in.State != "failure" && in.State != "error" && in.State != "pending":
		invalid(w, "Status", "state", "state is not included in the list")
		return
	case utf8.RuneCountInString(in.Description) > 140:
		invalid(w, "Status", "description", "description is too long (maximum is 140 characters)")
		return
	}
	st := Status{SHA: r.PathValue("sha"), State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL}
	s.statuses = append(s.statuses, st)
	writeJSON(w, http.StatusCreated, map[string]any{"id": len(s.statuses), "state": st.State, "context": st.Context})
}

// AddStatus sets a commit status, as another CI system would.
func (s *Server) AddStatus(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

// statusJSON is the status with index i as the API shows it. s.mu is held.
func (s *Server) statusJSON(i int) map[string]any {
	st := s.statuses[i]
	return map[string]any{"id": i + 1, "state": st.State, "context": st.Context, "description": st.Description, "target_url": st.TargetURL}
}

// listStatuses answers GET …/commits/{sha}/statuses: the commit's statuses, newest first,
// paginated as GitHub does (per_page, default 30, at most 100).
func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	var all []int
	for i := len(s.statuses) - 1; i >= 0; i-- {
		if s.statuses[i].SHA == r.PathValue("sha") {
			all = append(all, i)
		}
	}
	lo, hi := s.page(w, r, len(all))
	out := []map[string]any{}
	for _, i := range all[lo:hi] {
		out = append(out, s.statusJSON(i))
	}
	writeJSON(w, http.StatusOK, out)
}

// combinedStatus answers GET …/commits/{sha}/status: the newest status of each context on
// the commit, the most recently set first, paginated as listStatuses is, with the combined
// state (failure over pending over success) and the count of contexts.
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	var latest []int
	seen := map[string]bool{}
	for i := len(s.statuses) - 1; i >= 0; i-- {
		if st := s.statuses[i]; st.SHA == r.PathValue("sha") && !seen[st.Context] {
			seen[st.Context] = true
			latest = append(latest, i)
		}
	}
	state := "success"
	for _, i := range latest {
		switch s.statuses[i].State {
		case "failure", "error":
			state = "failure"
		case "pending":
			if state == "success" {
				state = "pending"
			}
		}
	}
	if len(latest) == 0 {
		state = "pending"
	}
	lo, hi := s.page(w, r, len(latest))
	out := []map[string]any{}
	for _, i := range latest[lo:hi] {
		out = append(out, s.statusJSON(i))
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": state, "sha": r.PathValue("sha"), "total_count": len(latest), "statuses": out})
}

type checkRunIn struct {
	Name       *string
	HeadSHA    string `json:"head_sha"`
	Status     string
	Conclusion string
	ExternalID string `json:"external_id"`
	DetailsURL string `json:"details_url"`
	Output     *struct {
		Title, Summary string
		Annotations    []struct {
			Path            string
			StartLine       int    `json:"start_line"`
			EndLine         int    `json:"end_line"`
			AnnotationLevel string `json:"annotation_level"`
			Title, Message  string
		}
	}
}

// applyCheckRun validates in and merges it into c. s.mu is held.
func applyCheckRun(w http.ResponseWriter, c *CheckRun, in *checkRunIn) bool {
	if in.Output != nil {
		if in.Output.Title == "" || in.Output.Summary == "" {
			invalid(w, "CheckRun", "output", "title and summary are required")
			return false
		}
		if len(in.Output.Annotations) > 50 {
			invalid(w, "CheckRun", "annotations", "maximum 50 annotations per request")
			return false
		}
		if utf8.RuneCountInString(in.Output.Summary) > 65535 {
			invalid(w, "CheckRun", "summary", "summary is too long (maximum is 65535 characters)")
			return false
		}
		for _, a := range in.Output.Annotations {
			if a.Path == "" || a.StartLine < 1 || a.EndLine < a.StartLine || a.Message == "" ||
				(a.AnnotationLevel != "notice" && a.AnnotationLevel != "warning" && a.AnnotationLevel != "failure") {
				invalid(w, "CheckRun", "annotations", "invalid annotation")
				return false
			}
			c.Annotations = append(c.Annotations, Annotation{Path: a.Path, Level: a.AnnotationLevel, Title: a.Title, Message: a.Message, StartLine: a.StartLine, EndLine: a.EndLine})
		}
		c.Title, c.Summary = in.Output.Title, in.Output.Summary
	}
	if in.Status != "" {
		c.Status = in.Status
	}
	if in.Conclusion != "" {
		c.Conclusion = in.Conclusion
	}
	if in.ExternalID != "" {
		c.ExternalID = in.ExternalID
	}
	if in.DetailsURL != "" {
		c.Details = in.DetailsURL
	}
	c.Requests++
	return true
}

func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request) {
	var in checkRunIn
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	if in.Name == nil || *in.Name == "" || in.HeadSHA == "" {
		invalid(w, "CheckRun", "name", "name and head_sha are required")
		return
	}
	if in.Status == "completed" && in.Conclusion == "" {
		invalid(w, "CheckRun", "conclusion", "conclusion is required when status is completed")
		return
	}
	s.nextID++
	c := &CheckRun{ID: s.nextID, Name: *in.Name, HeadSHA: in.HeadSHA, Status: "queued"}
	if !applyCheckRun(w, c, &in) {
		return
	}
	if s.ActionsDetailsURL != "" {
		c.Details = s.ActionsDetailsURL
	}
	s.checkRuns = append(s.checkRuns, c)
	writeJSON(w, http.StatusCreated, map[string]any{"id": c.ID, "name": c.Name, "head_sha": c.HeadSHA, "status": c.Status})
}

func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request) {
	var in checkRunIn
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	if in.Name == nil {
		invalid(w, "CheckRun", "name", "name is required") // go-github always sends it
		return
	}
	for _, c := range s.checkRuns {
		if c.ID == id {
			if !applyCheckRun(w, c, &in) {
				return
			}
			if s.ActionsDetailsURL != "" {
				c.Details = s.ActionsDetailsURL
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "name": c.Name, "status": c.Status})
			return
		}
	}
	notFound(w)
}

// listCheckRuns answers GET …/commits/{ref}/check-runs for a commit SHA: its check runs,
// oldest first, paginated, filtered by check_name and status; filter=latest (the default)
// keeps only the newest run of each name, as GitHub keeps the most recent.
func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	q := r.URL.Query()
	var all []*CheckRun
	newest := map[string]int64{}
	for _, c := range s.checkRuns {
		if c.HeadSHA != r.PathValue("ref") || (q.Has("check_name") && c.Name != q.Get("check_name")) || (q.Has("status") && c.Status != q.Get("status")) {
			continue
		}
		all = append(all, c)
		newest[c.Name] = max(newest[c.Name], c.ID)
	}
	if f := q.Get("filter"); f == "" || f == "latest" {
		var latest []*CheckRun
		for _, c := range all {
			if newest[c.Name] == c.ID {
				latest = append(latest, c)
			}
		}
		all = latest
	}
	lo, hi := s.page(w, r, len(all))
	out := []map[string]any{}
	for _, c := range all[lo:hi] {
		out = append(out, checkRunJSON(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(all), "check_runs": out})
}

// getCheckRun answers GET …/check-runs/{id}.
func (s *Server) getCheckRun(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !s.repoOK(r) {
		notFound(w)
		return
	}
	for _, c := range s.checkRuns {
		if c.ID == id {
			writeJSON(w, http.StatusOK, checkRunJSON(c))
			return
		}
	}
	notFound(w)
}

// checkRunJSON is c as the API shows it, its output with the count of annotations.
func checkRunJSON(c *CheckRun) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "head_sha": c.HeadSHA, "status": c.Status, "conclusion": c.Conclusion,
		"external_id": c.ExternalID, "details_url": c.Details,
		"output": map[string]any{"title": c.Title, "summary": c.Summary, "annotations_count": len(c.Annotations)},
	}
}
