package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// newDocsCmd writes docs/commands.md from the commands' own help, so the
// reference cannot drift from --help (a test checks it is current).
func newDocsCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:    "docs",
		Short:  "Write the command reference (docs/commands.md) from --help",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			md := commandsMarkdown(cmd.Root())
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(md)
				return err
			}
			return os.WriteFile(out, md, 0o644)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (default stdout)")
	return cmd
}

func commandsMarkdown(root *cobra.Command) []byte {
	var b bytes.Buffer
	b.WriteString("# Command reference\n\n")
	b.WriteString("Generated from `--help` by `go run ./cmd/honeyscope docs --out docs/commands.md`.\n\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		fmt.Fprintf(&b, "## %s\n\n", c.CommandPath())
		if c.Short != "" {
			fmt.Fprintf(&b, "%s.\n\n", strings.TrimSuffix(c.Short, "."))
		}
		if c.Long != "" {
			b.WriteString("```\n" + strings.TrimSpace(c.Long) + "\n```\n\n")
		}
		b.WriteString("```\n" + strings.TrimSpace(c.UsageString()) + "\n```\n\n")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root)
	return b.Bytes()
}
