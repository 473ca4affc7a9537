// Package rules is a rule engine for a documented subset of the Suricata
// rule language: it parses rule files (Emerging Threats Open, GreyNoise, a
// team's own), reports every rule it cannot run with the reason, and matches
// the loaded rules against decoded packets, HTTP requests and responses found
// in packet payloads, the honeypot's HTTP sessions and the honeypot's shell
// command lines.
//
// The subset, each keyword's meaning and where it differs from Suricata are
// described in docs/rules.md. In short:
//
//   - Parse and Load turn rule text into a Set: the rules that load and, for
//     every other rule, an Unsupported entry with file, line, sid and reason.
//   - Compile turns a Set into an Engine: read-only, safe for concurrent use,
//     with one multi-pattern prefilter (Aho–Corasick) per inspection buffer
//     over each rule's fast_pattern content.
//   - A Matcher (NewMatcher, one per goroutine) holds the scratch space of
//     one evaluation and matches packets, HTTP messages and command lines
//     without allocating in steady state.
//   - A State (NewState) keeps flowbits per flow id and threshold counters in
//     bounded tables; it is optional and safe for concurrent use.
//
// Nothing in this package panics on input: rule text, payloads and command
// lines are all hostile, every length is bounded, and evaluation of one rule
// on one buffer has a step budget.
package rules
