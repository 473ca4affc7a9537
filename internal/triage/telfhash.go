package triage

import (
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/elfinfo"
	"github.com/honeyscope/honeyscope/internal/tlsh"
)

// Telfhash, after Trend Micro's public description of it: the TLSH of the
// comma-joined, sorted, lower-cased names of a binary's global function
// symbols of default visibility, leaving out names that say nothing about
// the program (compiler and libc plumbing: names starting with "." or "_",
// ending in "64", starting with "str" or "mem", and a short list of libc
// start-up functions).
//
// Where this differs from the Python tool: the tool falls back, for a
// binary without symbols, to the call targets its disassembler finds;
// here such a binary has no telfhash (""), since there is no disassembler.
// Repeated names are kept once. The digest is printed in lower case
// with its "t1" prefix, as telfhash prints it.

var telfExclude = map[string]bool{
	"__libc_start_main": true, "main": true, "abort": true, "cachectl": true,
	"cacheflush": true, "puts": true, "atol": true, "malloc_trim": true,
}

// maxSymbols bounds the symbols read for telfhash.
const maxSymbols = 100000

const (
	sttFunc    = 2
	stbGlobal  = 1
	stvDefault = 0
)

// telfhash returns the sample's telfhash and the number of symbol names it
// hashes ("" when the binary has no usable symbols or too few to hash).
func telfhash(b []byte, in *elfinfo.Info) (string, int) {
	syms := elfinfo.Symbols(b, in, maxSymbols)
	if len(syms) == 0 {
		return "", 0
	}
	names := make([]string, 0, len(syms))
	for _, s := range syms {
		if s.Type != sttFunc || s.Bind != stbGlobal || s.Other&3 != stvDefault || s.Name == "" {
			continue
		}
		n := strings.ToLower(s.Name)
		if telfExclude[n] || n[0] == '.' || n[0] == '_' || strings.HasSuffix(n, "64") ||
			strings.HasPrefix(n, "str") || strings.HasPrefix(n, "mem") {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return "", 0
	}
	d, err := tlsh.Hash([]byte(strings.Join(names, ",")))
	if err != nil {
		return "", len(names)
	}
	return strings.ToLower(d.String()), len(names)
}
