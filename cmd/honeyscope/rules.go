package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
)

// newRulesCmd groups the rule-set commands.
func newRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check Suricata-syntax rule files and run them on captures",
		Long: `Exploit detection rules in a documented subset of Suricata's rule language
(docs/rules.md): Emerging Threats Open, GreyNoise or a team's own rules.
"rules check" says which rules load and why the others do not; "rules test"
runs rules over a capture and prints the alerts per packet, like suricata -r;
"rules diff" lists the rules two rule sets do not share.`,
	}
	cmd.AddCommand(newRulesCheckCmd(g), newRulesTestCmd(g), newRulesDiffCmd(g),
		newRulesAddCmd(g), newRulesListCmd(g), newRulesShowCmd(g), newRulesBackfillCmd(g))
	return cmd
}

// ruleFlags are the loading options both subcommands take.
type ruleFlags struct {
	vars     []string
	homeNet  string
	disabled bool
	builtin  bool
}

func (f *ruleFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a rule variable, NAME=VALUE (repeatable): --var 'HTTP_PORTS=[80,8080]'")
	cmd.Flags().StringVar(&f.homeNet, "home-net", "", "HOME_NET, the sensor's networks ('any', '[203.0.113.0/24]'); Suricata's default is the private ranges")
	cmd.Flags().BoolVar(&f.disabled, "include-disabled", false, "also load rules that are commented out (#alert ...)")
	cmd.Flags().BoolVar(&f.builtin, "builtin", false, "also load the built-in rules")
}

func (f *ruleFlags) options() (rules.Options, error) {
	v := rules.DefaultVars()
	if f.homeNet != "" {
		v["HOME_NET"] = f.homeNet
	}
	for _, kv := range f.vars {
		name, val, ok := strings.Cut(kv, "=")
		name = strings.TrimPrefix(strings.TrimSpace(name), "$")
		if !ok || name == "" || strings.TrimSpace(val) == "" {
			return rules.Options{}, fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		v[name] = strings.TrimSpace(val)
	}
	return rules.Options{Vars: v, IncludeDisabled: f.disabled}, nil
}

// load reads the rule paths (and the built-in file with --builtin).
func (f *ruleFlags) load(paths []string) (*rules.Set, error) {
	opt, err := f.options()
	if err != nil {
		return nil, err
	}
	var s *rules.Set
	if f.builtin {
		if s, err = rules.LoadBuiltin(opt); err != nil {
			return nil, err
		}
	} else {
		s = rules.NewSet(opt)
	}
	for _, p := range paths {
		if err := s.AddPath(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newRulesCheckCmd(g *globals) *cobra.Command {
	var f ruleFlags
	cmd := &cobra.Command{
		Use:   "check PATH...",
		Short: "Load rule files or directories and report the rules that do not load",
		Long: `Load rule files (or the *.rules files of directories) and print, for every
rule that does not load, its file, line, sid and the reason, then the line
"N rules loaded, M unsupported". Disabled (commented-out) rules are skipped,
as Suricata skips them, unless --include-disabled.`,
		Example: `  honeyscope rules check /etc/suricata/rules/emerging-exploit.rules
  honeyscope rules check --include-disabled rules/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.load(args)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			for _, u := range s.Unsupported {
				fmt.Fprintln(w, u.String())
			}
			fmt.Fprintf(w, "%d rules loaded, %d unsupported\n", len(s.Rules), len(s.Unsupported))
			return w.Flush()
		},
	}
	f.add(cmd)
	return cmd
}

func newRulesTestCmd(g *globals) *cobra.Command {
	var f ruleFlags
	var quiet bool
	cmd := &cobra.Command{
		Use:   "test RULES... CAPTURE",
		Short: "Run rules over a capture and print the alerts per packet",
		Long: `Run the rules of the given files or directories over a pcap or pcapng file
(plain or gzip-compressed; the last argument) and print one line per alert:
the packet number (1-based, as in Wireshark), gid:sid:rev, msg, the packet's
addresses, and where in which buffer the rule's first content matched.
Unsupported rules are reported on standard error first.

Packets are taken one by one, without stream reassembly: HTTP, TLS and DNS
buffers come from the message a packet's payload starts. A flow's direction
is learned from its first packet (the sender of a SYN is the client, of a
SYN-ACK the server; midstream, the side with the lower port is the server);
flowbits are kept per flow and thresholds use the packets' times.`,
		Example: `  honeyscope rules test --home-net any emerging-exploit.rules capture.pcap
  honeyscope rules test --builtin capture.pcapng.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ruleArgs, capPath := args[:len(args)-1], args[len(args)-1]
			if len(ruleArgs) == 0 && !f.builtin {
				return errors.New("give rule files or directories before the capture (or --builtin)")
			}
			s, err := f.load(ruleArgs)
			if err != nil {
				return err
			}
			if !quiet {
				for _, u := range s.Unsupported {
					fmt.Fprintln(cmd.ErrOrStderr(), u.String())
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d rules loaded, %d unsupported\n", len(s.Rules), len(s.Unsupported))
			e, err := rules.Compile(s)
			if err != nil {
				return err
			}
			n, alerts, err := runRulesTest(e, capPath, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d packets, %d alerts\n", n, alerts)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "do not list the unsupported rules")
	return cmd
}

// flowKey identifies a flow in both directions.
type flowKey struct {
	a, b   netip.Addr
	pa, pb uint16
	proto  uint8
}

// maxTestFlows bounds the direction table of rules test.
const maxTestFlows = 1 << 20

// runRulesTest prints the alerts of every packet of a capture.
func runRulesTest(e *rules.Engine, path string, out io.Writer) (packets, alerts int, err error) {
	r, err := capture.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	w := bufio.NewWriter(out)
	defer w.Flush()
	m := rules.NewMatcher(e)
	st := rules.NewState(1<<16, 1<<16)
	// server[k] is the server side (a) of flow k as first seen.
	server := map[flowKey]netip.AddrPort{}
	var p decode.Packet
	var dst []rules.Alert
	rs := e.Rules()
	for {
		data, ts, link, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return packets, alerts, err
		}
		packets++
		if decode.Decode(link, data, &p) != nil {
			continue
		}
		ctx := rules.Context{State: st, Time: ts}
		if p.Proto == decode.ProtoTCP || p.Proto == decode.ProtoUDP {
			src, dstAP := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
			k := flowKey{a: p.Src, b: p.Dst, pa: p.SrcPort, pb: p.DstPort, proto: p.Proto}
			if dstAP.Addr().Less(src.Addr()) || dstAP.Addr() == src.Addr() && p.DstPort < p.SrcPort {
				k = flowKey{a: p.Dst, b: p.Src, pa: p.DstPort, pb: p.SrcPort, proto: p.Proto}
			}
			srv, ok := server[k]
			if !ok {
				srv = dstAP
				switch {
				case p.Proto == decode.ProtoTCP && p.TCPFlags&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn|decode.TCPAck:
					srv = src
				case p.Proto == decode.ProtoTCP && p.TCPFlags&decode.TCPSyn != 0:
				case p.SrcPort < p.DstPort:
					srv = src
				}
				if len(server) < maxTestFlows {
					server[k] = srv
				}
			}
			if srv == src {
				ctx.Dir = rules.DirToClient
			}
			ctx.Flow = flowHash(k)
		}
		dst = m.Packet(&p, &ctx, dst[:0])
		for _, a := range dst {
			rl := rs[a.Rule]
			where := ""
			if a.Start >= 0 {
				where = fmt.Sprintf(" %s[%d:%d]", a.Buffer, a.Start, a.End)
			}
			fmt.Fprintf(w, "%d [%s] %s {%s} %s -> %s%s\n", packets, rl.ID(), rl.Msg, protoName(p.Proto),
				netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort), where)
			alerts++
		}
	}
	return packets, alerts, nil
}

func flowHash(k flowKey) uint64 {
	h := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	a, b := k.a.As16(), k.b.As16()
	add(a[:])
	add(b[:])
	add([]byte{byte(k.pa >> 8), byte(k.pa), byte(k.pb >> 8), byte(k.pb), k.proto})
	if h == 0 {
		h = 1
	}
	return h
}

func protoName(p uint8) string {
	switch p {
	case decode.ProtoTCP:
		return "TCP"
	case decode.ProtoUDP:
		return "UDP"
	case decode.ProtoICMP:
		return "ICMP"
	case decode.ProtoICMPv6:
		return "IPV6-ICMP"
	}
	return fmt.Sprintf("PROTO:%d", p)
}

func newRulesDiffCmd(g *globals) *cobra.Command {
	var f ruleFlags
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "List the rules added, removed and rev-changed from rule set A to B",
		Long: `Compare two rule sets by gid:sid: print one line per rule only B has
("added"), only A has ("removed"), and per rule whose rev differs
("changed", old and new rev), then the line "N added, M removed, K changed".
A and B are rule files or directories of *.rules files, or the names of rule
sets stored with "rules add" (the newest of that name, or "#ID"). Every rule line
counts, commented-out (disabled) ones and those the engine cannot run
included, as a census of a rule set does; a rule whose rev stayed the same
counts as unchanged whatever else of its text changed.`,
		Example: `  honeyscope rules diff et-open-2024-04-21/ et-open-2025-08-17/`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.disabled = true
			var sets [2]*rules.Set
			for i, a := range args {
				s, err := f.loadSide(cmd, g, a)
				if err != nil {
					return err
				}
				sets[i] = s
			}
			return printRulesDiff(cmd.OutOrStdout(), rules.DiffSets(sets[0], sets[1]))
		},
	}
	f.add(cmd)
	return cmd
}

// loadSide loads one side of rules diff: a rule file or directory, else a
// rule set stored under that name (or "#ID").
func (f *ruleFlags) loadSide(cmd *cobra.Command, g *globals, arg string) (*rules.Set, error) {
	if _, err := os.Stat(arg); err == nil {
		return f.load([]string{arg})
	}
	st, done, err := openRuleSets(cmd.Context(), g, false)
	if err != nil {
		return nil, fmt.Errorf("%s: not a rule file or directory, and no store to look the name up in: %w", arg, err)
	}
	defer done()
	rs, err := st.RuleSet(cmd.Context(), arg)
	if err != nil {
		return nil, fmt.Errorf("%s: not a rule file or directory: %w", arg, err)
	}
	opt, err := f.options()
	if err != nil {
		return nil, err
	}
	return ruleset.Load(ruleFiles(rs), f.builtin, opt)
}

// printRulesDiff prints a diff as rules diff does.
func printRulesDiff(out io.Writer, d rules.Diff) error {
	w := bufio.NewWriter(out)
	for _, r := range d.Added {
		fmt.Fprintf(w, "added   %d:%d:%d %s\n", r.GID, r.SID, r.Rev, r.Msg)
	}
	for _, r := range d.Removed {
		fmt.Fprintf(w, "removed %d:%d:%d %s\n", r.GID, r.SID, r.Rev, r.Msg)
	}
	for _, c := range d.Changed {
		fmt.Fprintf(w, "changed %d:%d:%d -> %d %s\n", c.GID, c.SID, c.OldRev, c.Rev, c.Msg)
	}
	fmt.Fprintf(w, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
	return w.Flush()
}

// loadPipelineRules reads the rule files and directories given with
// --rules and compiles them with the built-in rules into the pipeline's
// exploit matcher, saying on errw how many rules loaded.
func loadPipelineRules(paths []string, errw io.Writer) (*rules.ExploitAdapter, []ruleset.File, error) {
	files, err := ruleset.Read(paths)
	if err != nil {
		return nil, nil, err
	}
	m, s, err := ruleset.Matcher(files, rules.Options{})
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(errw, "rules: %d rules loaded (built-in rules included), %d unsupported (honeyscope rules check lists them)\n", len(s.Rules), len(s.Unsupported))
	return m, files, nil
}
