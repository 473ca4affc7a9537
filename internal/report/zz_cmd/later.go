package main

import "github.com/spf13/cobra"

// addLaterCommands registers commands whose packages are optional at build time.
func addLaterCommands(root *cobra.Command, g *globals) {}
