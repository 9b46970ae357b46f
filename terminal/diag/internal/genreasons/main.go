// Command genreasons writes terminal/diag/reasons_table.go from the
// operator guide's explanations of the reason codes.
//
//	go run ./terminal/diag/internal/genreasons -doc docs/operator.md -out terminal/diag/reasons_table.go
package main

import (
	"flag"
	"fmt"
	"os"

	"kofu/terminal/diag/internal/reasondoc"
)

func main() {
	doc := flag.String("doc", "docs/operator.md", "the operator guide")
	out := flag.String("out", "terminal/diag/reasons_table.go", "the Go file to write")
	flag.Parse()
	if err := run(*doc, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genreasons:", err)
		os.Exit(1)
	}
}

func run(doc, out string) error {
	md, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	groups, err := reasondoc.Parse(md)
	if err != nil {
		return err
	}
	src, err := reasondoc.Source("diag", groups)
	if err != nil {
		return fmt.Errorf("format: %w", err)
	}
	return os.WriteFile(out, src, 0o644)
}
