// Package infra maps domain names to the infrastructure behind them: the
// authoritative name servers of each name's registered domain, the name's
// CNAME chain and addresses, the AS of every address and the CDN that
// serves it, if one is recognised (cdn.go documents the table).
//
// Names come from a NameSource (the hosts of the URLs the honeypot
// recorded, a file; sandbox and triage domains later). A Resolver asks one
// configured DNS server with recursion desired — the real resolver on an
// Internet-facing host, a loopback authoritative server in tests — with a
// bounded number of queries per name, a time limit per query and per name,
// bounded concurrency and a cache. Answers are hostile input: every list
// taken from them is bounded, names are checked, CNAME loops end, and
// nothing in an answer can make the resolver panic.
//
// BuildGraph turns resolutions into the bipartite graph of names and name
// servers (edges name → NS) that the infra graph command and the
// dashboard draw; its edges are written as CSV and JSON with stable
// fields.
package infra
