package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/perfgate/perfgate/github"
	"github.com/perfgate/perfgate/github/githubtest"
)

// fakeServers holds each script's fake GitHub.
var fakeServers sync.Map // *testscript.TestScript → *githubtest.Server

func init() {
	scriptCommands["fakegithub"] = fakeGitHub
}

// fakeGitHub is the testscript command
//
//	fakegithub start [-repo o/r] [-token T] [-root] [-pr N=SHA[@OWNER/REPO]]... [-comments N] [-sticky ID@K] [-fault METHOD:PATH:STATUS[:TIMES]]...
//	fakegithub requests FILE   # "METHOD PATH" per request, then "UNEXPECTED ..." lines
//	fakegithub comments FILE   # per comment: "== id user", then the body
//	fakegithub statuses FILE   # per status: "sha state context target | description"
//	fakegithub checkruns FILE  # per check run: name, sha, conclusion, requests, annotations
//
// start runs a fake GitHub API (package githubtest) on 127.0.0.1 inside the test process,
// under /api/v3/ as on GitHub Enterprise Server, and sets GITHUB_API_URL for the script, so
// "exec perfgate publish" in a subprocess talks to it. -comments adds N comments by someone
// else to every pull request; -root leaves /api/v3 off GITHUB_API_URL (perfgate adds it); -sticky adds a perfgate comment with marker ID at position K
// among them. -fault answers the next TIMES (default: all) matching requests with STATUS;
// a 403 carries "Resource not accessible by integration". The dump subcommands write to
// FILE, for cmp or grep.
func fakeGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! fakegithub")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: fakegithub start|requests|comments|statuses|checkruns ...")
	}
	if args[0] == "start" {
		fakeGitHubStart(ts, args[1:])
		return
	}
	v, ok := fakeServers.Load(ts)
	if !ok {
		ts.Fatalf("fakegithub %s: no server; run fakegithub start first", args[0])
	}
	srv := v.(*githubtest.Server)
	if len(args) != 2 {
		ts.Fatalf("usage: fakegithub %s FILE", args[0])
	}
	var b strings.Builder
	switch args[0] {
	case "requests":
		b.WriteString(srv.Log())
	case "comments":
		for _, c := range srv.Comments() {
			fmt.Fprintf(&b, "== %d %s\n%s\n", c.ID, c.User, strings.TrimRight(c.Body, "\n"))
		}
	case "statuses":
		for _, s := range srv.Statuses() {
			fmt.Fprintf(&b, "%s %s %s %s | %s\n", s.SHA, s.State, s.Context, s.TargetURL, s.Description)
		}
	case "checkruns":
		for _, c := range srv.CheckRuns() {
			fmt.Fprintf(&b, "%s %s %s %s requests=%d annotations=%d\n", c.Name, c.HeadSHA, c.Status, c.Conclusion, c.Requests, len(c.Annotations))
			for _, a := range c.Annotations {
				fmt.Fprintf(&b, "  %s %s: %s\n", a.Level, a.Title, a.Message)
			}
		}
	default:
		ts.Fatalf("fakegithub: unknown subcommand %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func fakeGitHubStart(ts *testscript.TestScript, args []string) {
	if _, ok := fakeServers.Load(ts); ok {
		ts.Fatalf("fakegithub start: already started")
	}
	fs := flag.NewFlagSet("fakegithub start", flag.ContinueOnError)
	repo := fs.String("repo", "o/r", "the repository")
	token := fs.String("token", "", "the token requests must carry")
	comments := fs.Int("comments", 0, "comments by someone else on each pull request")
	sticky := fs.String("sticky", "", "ID@K: a perfgate comment with marker ID at position K")
	root := fs.Bool("root", false, "set GITHUB_API_URL to the server root, without /api/v3, as some GHES setups do")
	var prs, faults multiFlag
	fs.Var(&prs, "pr", "N=SHA[@OWNER/REPO]: a pull request, its head and the head's repository")
	fs.Var(&faults, "fault", "METHOD:PATH:STATUS[:TIMES]")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("%v", err)
	}
	srv := githubtest.New(*repo, nil)
	fakeServers.Store(ts, srv)
	ts.Defer(func() {
		srv.Close()
		fakeServers.Delete(ts)
	})
	srv.Token = *token
	for _, p := range prs {
		n, sha, ok := strings.Cut(p, "=")
		num, err := strconv.Atoi(n)
		if !ok || err != nil {
			ts.Fatalf("fakegithub start: -pr %q: want N=SHA[@OWNER/REPO]", p)
		}
		sha, headRepo, fork := strings.Cut(sha, "@")
		srv.AddPR(num, sha)
		if fork {
			srv.SetHeadRepo(num, headRepo)
		}
		stickyID, stickyAt := "", -1
		if *sticky != "" {
			id, at, _ := strings.Cut(*sticky, "@")
			if stickyAt, err = strconv.Atoi(at); err != nil {
				ts.Fatalf("fakegithub start: -sticky %q: want ID@K", *sticky)
			}
			stickyID = id
		}
		for i := 0; i < max(*comments, stickyAt+1); i++ {
			if i == stickyAt {
				srv.AddComment(num, "github-actions[bot]", "an old perfgate report\n\n"+github.Marker(stickyID))
				continue
			}
			srv.AddComment(num, "someone", fmt.Sprintf("comment %d", i))
		}
	}
	for _, f := range faults {
		parts := strings.Split(f, ":")
		if len(parts) < 3 || len(parts) > 4 {
			ts.Fatalf("fakegithub start: -fault %q: want METHOD:PATH:STATUS[:TIMES]", f)
		}
		status, err := strconv.Atoi(parts[2])
		if err != nil {
			ts.Fatalf("fakegithub start: -fault %q: bad status", f)
		}
		fault := githubtest.Fault{Method: parts[0], Path: parts[1], Status: status}
		if len(parts) == 4 {
			if fault.Times, err = strconv.Atoi(parts[3]); err != nil {
				ts.Fatalf("fakegithub start: -fault %q: bad count", f)
			}
		}
		if status == 403 {
			fault.Body = githubtest.BodyNotAccessible
		}
		srv.AddFault(fault)
	}
	if *root {
		ts.Setenv("GITHUB_API_URL", srv.URL)
	} else {
		ts.Setenv("GITHUB_API_URL", srv.APIURL())
	}
}
