// Package mdreport collects the Markdown report a benchmark run prints as
// it goes and saves at the end (results.md).
package mdreport

import (
	"fmt"
	"strings"
)

// Report is the Markdown printed so far.
type Report struct {
	b strings.Builder
	// Quiet keeps the report off standard output.
	Quiet bool
}

// Printf prints to standard output (unless Quiet) and appends to the
// report.
func (r *Report) Printf(format string, args ...any) {
	fmt.Fprintf(&r.b, format, args...)
	if !r.Quiet {
		fmt.Printf(format, args...)
	}
}

// Table writes a Markdown table: the first column left-aligned, the
// others (numbers) right-aligned.
func (r *Report) Table(header []string, rows [][]string) {
	r.Printf("| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---:"
	}
	seps[0] = "---"
	r.Printf("|%s|\n", strings.Join(seps, "|"))
	for _, row := range rows {
		r.Printf("| %s |\n", strings.Join(row, " | "))
	}
	r.Printf("\n")
}

// String returns the whole report.
func (r *Report) String() string { return r.b.String() }
