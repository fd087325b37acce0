package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes. They are perfgate's contract with CI and are documented in the README; map errors
// to them only in exitCode.
const (
	ExitPass     = 0 // the gate passed, or the command succeeded
	ExitFail     = 1 // the gate failed: a regression or a newly failing config
	ExitInput    = 2 // bad usage or bad input; nothing was changed
	ExitInternal = 3 // perfgate could not do its job (I/O, network)
)

// Streams are the standard streams a command reads and writes. Commands never touch os.Stdout
// directly, so tests run them in-process with buffers.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY reports whether Out is a terminal, for colour.
	OutTTY bool
	// OutFile reports whether Out is a regular file (a shell redirect), which holds data
	// rather than a log: no workflow commands are written around it (logText).
	OutFile bool
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}

// SystemStreams returns the process's streams.
func SystemStreams() *Streams {
	tty, file := false, false
	if st, err := os.Stdout.Stat(); err == nil {
		tty = st.Mode()&os.ModeCharDevice != 0
		file = st.Mode().IsRegular()
	}
	return &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutTTY: tty, OutFile: file, Getenv: os.Getenv}
}

// logText writes a report of results to s.Out with write; text says it is the text format,
// words for the log, rather than data for a reader (JSON, Markdown, HTML), which is written
// as it is. Inside GitHub Actions, when Out is the step's log (not a file), the runner reads
// every line for workflow commands, and a text report holds data from the results (config
// keys, file names): a key "::add-mask::…" or "::stop-commands::…" at a line's start would be
// run as a command, masking the log or dropping perfgate's own annotations. So the text is
// written between "::stop-commands::" with an unguessable token and "::<token>::", which
// resumes them, even when write fails.
func logText(s *Streams, text bool, write func() error) error {
	if !text || s.Getenv == nil || s.Getenv("GITHUB_ACTIONS") != "true" || s.OutFile {
		return write()
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := "perfgate-" + hex.EncodeToString(b[:])
	if _, err := fmt.Fprintf(s.Out, "::stop-commands::%s\n", token); err != nil {
		return err
	}
	err := write()
	if _, rerr := fmt.Fprintf(s.Out, "::%s::\n", token); err == nil {
		err = rerr
	}
	return err
}

// An exitError carries an exit code through cobra. Its message, if any, is printed once by Main.
type exitError struct {
	code int
	err  error // nil for a verdict that is already reported
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// inputError marks err as bad usage or bad input (exit 2).
func inputError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitInput, err: err}
}

// internalError marks err as perfgate failing to do its job (exit 3).
func internalError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitInternal, err: err}
}

// needResults is the Args check of the commands that read RESULTS against a baseline: at
// least one, with a hint of what to give when none was.
func needResults(cmd *cobra.Command, args []string) error {
	return needResultsLike("--baseline perf/baseline results/")(cmd, args)
}

// needResultsLike is needResults with the example arguments of a command.
func needResultsLike(example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return inputError(fmt.Errorf("missing RESULTS: give the result files or directories to read (sweep tables, Go benchmark\nformat, JSON Lines or trainer logs), e.g.\n  %s %s\nrun '%s --help' for usage", cmd.CommandPath(), example, cmd.CommandPath()))
		}
		return nil
	}
}

// errGateFailed reports a failed gate whose report was already written.
var errGateFailed = &exitError{code: ExitFail}

// exitCode maps an error returned by a command to the process exit code. An error not marked
// otherwise is an input error: every parse and validation problem surfaces this way.
func exitCode(err error) int {
	if err == nil {
		return ExitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ExitInternal
	}
	return ExitInput
}

// Main runs perfgate with args and returns the exit code.
func Main(args []string, s *Streams) int {
	return MainContext(context.Background(), args, s)
}

// MainSignals is Main for the process: SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job)
// cancel the command's context instead of killing the process, so it stops at its next
// check of the context, writes nothing more, removes its temporary files and exits 3 saying
// it was interrupted. A second signal kills the process at once, as a signal did before.
func MainSignals(args []string, s *Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal has its default effect
	}()
	// A reader of stdout that goes away (perfgate check | head) made the next write raise
	// SIGPIPE, which killed perfgate (status 141) before it exited with its verdict or
	// published. With SIGPIPE caught (not ignored: git, run as a child, keeps the default),
	// the write fails with EPIPE, and stdout discards what nobody reads.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	s.Out = &pipeWriter{w: s.Out}
	return MainContext(ctx, args, s)
}

// A pipeWriter discards, and reports as written, what is written after its reader closed the
// pipe (EPIPE): the output is for a reader who no longer wants it, and the command's result
// (a verdict, a stored run, a publish) does not depend on it. Other errors (a full disk)
// are returned.
type pipeWriter struct {
	w      io.Writer
	closed bool
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	if p.closed {
		return len(b), nil
	}
	n, err := p.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		p.closed = true
		return len(b), nil
	}
	return n, err
}

// MainContext runs perfgate with args under ctx and returns the exit code. A command that
// ctx stopped (an interrupt) exits 3, with the cause.
func MainContext(ctx context.Context, args []string, s *Streams) int {
	if s.Getenv == nil {
		s.Getenv = func(string) string { return "" }
	}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && err != errGateFailed && ctx.Err() != nil {
		// Whatever the command made of its cancelled context ("context canceled", a git
		// killed mid-read taken for a bad ref), it was stopped: say by what, and exit 3, not
		// 2 (which says the input is bad). A verdict already reported stands.
		err = internalError(fmt.Errorf("stopped before it finished: %v", context.Cause(ctx)))
	}
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintf(s.ErrOut, "perfgate: %v\n", err)
		}
	}
	return exitCode(err)
}

func newRootCmd(s *Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "perfgate",
		Short: "Gate pull requests on the training performance of large models",
		Long: `perfgate compares benchmark results (sweep tables, Go benchmark format, JSON Lines and
trainer logs) with a baseline stored in your repository, decides per config whether a run
regressed, and reports the verdict as text, Markdown or JSON.

Exit codes: 0 pass, 1 gate failed, 2 usage or input error, 3 internal failure.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version(),
		// A SOURCE_DATE_EPOCH that does not parse used to fall back to the clock without a
		// word, and ignore rules expired, or did not, by that.
		PersistentPreRunE: func(*cobra.Command, []string) error { return inputError(checkSourceDate(s)) },
	}
	root.SetVersionTemplate("perfgate {{.Version}}\n")
	cobra.AddTemplateFunc("flagGroups", flagGroups)
	root.SetUsageTemplate(groupedUsage(root.UsageTemplate()))
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetIn(s.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return inputError(fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath()))
	})
	root.AddCommand(
		newCheckCmd(s),
		newBaselineCmd(s),
		newConvertCmd(s),
		newCalcCmd(s),
		newPublishCmd(s),
		newHistoryCmd(s),
	)
	root.InitDefaultCompletionCmd() // cobra adds it on Execute; here, so that it is covered too
	for _, c := range root.Commands() {
		refuseUnknownSubcommands(c)
	}
	return root
}

// refuseUnknownSubcommands makes a command that only groups others (perfgate baseline) refuse
// an argument that names none of them. Cobra refuses an unknown command only at the root:
// below it, "perfgate baseline updte results/" printed the help and exited 0, so a typo in a
// nightly job, or in the merge driver "perfgate baseline merge %O %A %B %P" (where exit 0 tells
// git the merge succeeded, keeping ours and losing their runs), passed for success.
func refuseUnknownSubcommands(c *cobra.Command) {
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // as cobra's default at the root
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(sugg, " or "))
		}
		return inputError(fmt.Errorf("%s\nrun '%s --help' for usage", msg, cmd.CommandPath()))
	}
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
}
