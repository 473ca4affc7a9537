package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/sampleimport"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/triage"
)

// triageTexts are the labels of the triage parts of the samples commands.
var triageTexts = map[string][2]string{
	"arch":       {"arch", "アーキテクチャ"},
	"family":     {"family", "ファミリー"},
	"cluster":    {"cluster", "クラスタ"},
	"packer":     {"packer", "パッカー"},
	"abi":        {"ABI", "ABI"},
	"linking":    {"linking", "リンク"},
	"static":     {"static", "静的"},
	"dynamic":    {"dynamic (%s)", "動的（%s）"},
	"stripped":   {"stripped", "シンボル除去"},
	"entry":      {"entry point", "エントリポイント"},
	"hashes":     {"md5 / sha1", "MD5 / SHA-1"},
	"tlsh":       {"TLSH", "TLSH"},
	"telfhash":   {"telfhash", "telfhash"},
	"ips":        {"IPv4 addresses", "IPv4アドレス"},
	"domains":    {"domains", "ドメイン"},
	"urls":       {"URLs in the file", "ファイル内のURL"},
	"markers":    {"markers", "マーカー"},
	"xorKey":     {"XOR key %#x", "XORキー %#x"},
	"decoded":    {"decoded strings", "復号した文字列"},
	"triaged":    {"triaged", "解析日時"},
	"noTriage":   {"(not triaged: honeyscope samples triage)", "（未解析: honeyscope samples triage）"},
	"name":       {"from", "入手元"},
	"new":        {"new", "新規"},
	"samples":    {"samples", "検体数"},
	"clusters":   {"clusters", "クラスタ数"},
	"archs":      {"architectures", "アーキテクチャ"},
	"day":        {"day", "日"},
	"cumulative": {"cumulative", "累計"},
	"added":      {"%d added (%d new to the store), %d refused", "追加 %d件（新規 %d件）、拒否 %d件"},
	"retriaged":  {"%d samples triaged, %d without content in the sample store", "%d件を解析、検体ストアに内容のないもの %d件"},
	"noFamilies": {"(no triaged samples)", "（解析済みの検体はありません）"},
}

func triageText(lang, key string) string {
	t, ok := triageTexts[key]
	if !ok {
		return key
	}
	if lang == "ja" {
		return t[1]
	}
	return t[0]
}

// sampleDirFor is the sample store beside the store at dbPath, unless dir
// names one; beside a ClickHouse store is the working directory, as for
// serve (clickSidePath).
func sampleDirFor(dir, dbPath string) string {
	if dir != "" {
		return dir
	}
	if clickstore.IsURL(dbPath) {
		dbPath = clickSidePath(dbPath)
	}
	return filepath.Join(filepath.Dir(dbPath), "samples")
}

// triageBatch is how many samples `samples add` and `samples triage`
// write per transaction.
const triageBatch = 200

// triageRecord is r as the store keeps it.
func triageRecord(r *triage.Result, now time.Time) (store.TriageRecord, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return store.TriageRecord{}, err
	}
	return store.TriageRecord{SHA256: r.SHA256, Version: r.Version, Time: now, Arch: r.Arch, Family: r.Family,
		TLSH: r.TLSH, Telfhash: r.Telfhash, Packed: r.Packed(), Result: b}, nil
}

// recluster clusters every triaged sample and stores the answer.
func recluster(ctx context.Context, ts store.TriageStore) ([]triage.Item, []triage.Assignment, error) {
	its, err := ts.TriageItems(ctx)
	if err != nil {
		return nil, nil, err
	}
	items := make([]triage.Item, len(its))
	for i, it := range its {
		items[i] = triage.Item{SHA256: it.SHA256, TLSH: it.TLSH, Telfhash: it.Telfhash, Family: it.Family, Arch: it.Arch, First: it.First}
	}
	as := triage.Cluster(items, triage.ClusterOptions{})
	ca := make([]store.ClusterAssignment, len(as))
	for i, a := range as {
		ca[i] = store.ClusterAssignment{SHA256: a.SHA256, Cluster: a.Cluster, Family: a.Family}
	}
	return items, as, ts.SetClusters(ctx, ca)
}

// addedRow is one line of `samples add`'s answer.
type addedRow struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Arch   string `json:"arch"`
	Family string `json:"family"`
	New    bool   `json:"new"`
}

func newSamplesAddCmd(g *globals) *cobra.Command {
	var (
		password, sampleDir, format, lang string
	)
	cmd := &cobra.Command{
		Use:   "add PATH...",
		Short: "Add sample files, directories or zip archives (password \"infected\") and triage them",
		Long: `Add samples by hand: files, directories (walked; symbolic links are not
followed) and zip archives, including the password-protected ones malware
repositories export (ZipCrypto or AES; the password is "infected" unless
--password says otherwise). Each distinct content (by SHA-256) goes into the
sample store beside the store (--sample-dir) and the samples table (via
"added"), and is triaged: ELF headers, packers, strings, indicators, hashes
and family markers. Nothing is executed, and nothing is written under a name
from an archive. Archive members with names that climb out of the archive,
symbolic links, nested archives and members over the size bounds (zip bombs)
are refused, each with its reason on stderr.`,
		Example: `  honeyscope samples add x.arm7
  honeyscope samples add ~/bazaar/2026-05-01.zip --password infected
  honeyscope samples add ./collected/`,
		Args: cobra.MinimumNArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return checkFormat(format)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, ts, ss, err := openTriage(ctx, g, sampleDir)
			if err != nil {
				return err
			}
			defer st.Close()
			var (
				rows  []addedRow
				adds  []store.SampleAdd
				recs  []store.TriageRecord
				seen  = map[string]bool{}
				added int
			)
			flush := func() error {
				if len(adds) == 0 {
					return nil
				}
				n, err := ts.AddSamples(ctx, adds)
				if err != nil {
					return err
				}
				added += n
				if err := ts.PutTriage(ctx, recs); err != nil {
					return err
				}
				adds, recs = adds[:0], recs[:0]
				return nil
			}
			known := func(sha string) bool {
				got, err := st.Samples(ctx, store.SampleQuery{SHA256: sha, Limit: 1})
				return err == nil && len(got) > 0
			}
			refused, err := sampleimport.Walk(args, sampleimport.Options{Password: password, MaxSize: ss.MaxSize()}, func(f sampleimport.Found) error {
				sha, err := ss.Put(f.Content)
				if err != nil {
					return err
				}
				if seen[sha] {
					return nil
				}
				seen[sha] = true
				now := time.Now().UTC()
				r := triage.Analyze(f.Content)
				rec, err := triageRecord(&r, now)
				if err != nil {
					return err
				}
				rows = append(rows, addedRow{SHA256: sha, Name: f.Name, Type: r.Type, Arch: r.Arch, Family: r.Family, New: !known(sha)})
				adds = append(adds, store.SampleAdd{SHA256: sha, Size: int64(len(f.Content)), Type: r.Type, Time: now, Name: f.Name})
				recs = append(recs, rec)
				if len(adds) >= triageBatch {
					return flush()
				}
				return nil
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return err
			}
			if len(rows) > 0 {
				if _, _, err := recluster(ctx, ts); err != nil {
					return err
				}
			}
			stderr := cmd.ErrOrStderr()
			for _, r := range refused {
				fmt.Fprintf(stderr, "honeyscope samples add: refused %s: %s\n", escapeText(r.Name), escapeText(r.Reason))
			}
			if format == "json" {
				if rows == nil {
					rows = []addedRow{}
				}
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			tr := func(k string) string { return triageText(lang, k) }
			head := []string{sessionText(lang, "sha256"), sessionText(lang, "type"), tr("arch"), tr("family"), tr("new"), tr("name")}
			var table [][]string
			for _, r := range rows {
				table = append(table, []string{r.SHA256, cell(r.Type), cell(r.Arch), cell(r.Family), strconv.FormatBool(r.New), cell(r.Name)})
			}
			if len(table) > 0 {
				if err := writeTable(cmd.OutOrStdout(), head, table, nil); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), tr("added")+"\n", len(rows), added, len(refused))
			if len(rows) == 0 && len(refused) > 0 {
				return errors.New("no sample added")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&password, "password", sampleimport.DefaultPassword, "password of encrypted zip archives")
	f.StringVar(&sampleDir, "sample-dir", "", "sample store `DIR` (default: \"samples\" beside the store, as the honeypot's)")
	f.StringVar(&format, "format", "table", "output format: table or json")
	f.StringVar(&lang, "lang", "en", "language of the labels: en or ja")
	return cmd
}

func newSamplesTriageCmd(g *globals) *cobra.Command {
	var (
		all             bool
		sampleDir, lang string
	)
	cmd := &cobra.Command{
		Use:   "triage [SHA256...]",
		Short: "Triage the samples not yet triaged (or those given, or --all) and cluster them into families",
		Long: `Triage samples from the sample store: by default those without a triage or
with one from an older version of the analysis (the honeypot's samples among
them), with --all every sample, or the samples given (SHA-256s or unique
prefixes of at least 8 hex digits). Then every triaged sample is clustered
again into families.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, ts, ss, err := openTriage(ctx, g, sampleDir)
			if err != nil {
				return err
			}
			defer st.Close()
			var shas []string
			switch {
			case len(args) > 0:
				for _, a := range args {
					got, err := st.Samples(ctx, store.SampleQuery{SHA256: a, Limit: 2})
					if err != nil {
						return err
					}
					if len(got) != 1 {
						return fmt.Errorf("%s: %d samples in the store start so: give a unique SHA-256 prefix", escapeText(a), len(got))
					}
					shas = append(shas, got[0].SHA256)
				}
			case all:
				shas, err = ts.Untriaged(ctx, 1<<30, 0)
			default:
				shas, err = ts.Untriaged(ctx, triage.Version, 0)
			}
			if err != nil {
				return err
			}
			missing, done := 0, 0
			var recs []store.TriageRecord
			for _, sha := range shas {
				b, err := ss.Read(sha, 0)
				if errors.Is(err, samplestore.ErrNotFound) {
					missing++
					fmt.Fprintf(cmd.ErrOrStderr(), "honeyscope samples triage: %s: content not in the sample store %s\n", sha, ss.Dir())
					continue
				}
				if err != nil {
					return err
				}
				r := triage.Analyze(b)
				rec, err := triageRecord(&r, time.Now().UTC())
				if err != nil {
					return err
				}
				recs = append(recs, rec)
				done++
				if len(recs) >= triageBatch {
					if err := ts.PutTriage(ctx, recs); err != nil {
						return err
					}
					recs = recs[:0]
				}
			}
			if err := ts.PutTriage(ctx, recs); err != nil {
				return err
			}
			if _, _, err := recluster(ctx, ts); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), triageText(lang, "retriaged")+"\n", done, missing)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&all, "all", false, "triage every sample again")
	f.StringVar(&sampleDir, "sample-dir", "", "sample store `DIR` (default: \"samples\" beside the store)")
	f.StringVar(&lang, "lang", "en", "language of the labels: en or ja")
	return cmd
}

// familySummary is one family of `samples families`.
type familySummary struct {
	Family   string   `json:"family"`
	Samples  int      `json:"samples"`
	Clusters int      `json:"clusters"`
	Archs    []string `json:"archs"`
	First    string   `json:"first_seen"` // YYYY-MM-DD in the store's zone
	Last     string   `json:"last_first_seen"`
}

func newSamplesFamiliesCmd(g *globals) *cobra.Command {
	var by, format, lang string
	cmd := &cobra.Command{
		Use:   "families",
		Short: "Sample families: clusters by similarity (TLSH, telfhash) and markers, per family, day or architecture",
		Long: `Group the triaged samples into families: samples whose TLSH digests are within
70 of each other, or whose telfhashes are within 40, are one cluster; a
cluster takes the family its members' markers name (Mirai, Gafgyt, Mozi,
Tsunami), or its own name ("c-" and a SHA-256 prefix). --by family (the
default) lists the families; --by day and --by arch count the samples of each
family by the day they were first seen or by architecture; --by unique counts
the hash-unique samples by day, cumulatively.`,
		Example: `  honeyscope samples families
  honeyscope samples families --by day --format json
  honeyscope samples families --by unique`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			switch by {
			case "family", "day", "arch", "unique":
			default:
				return fmt.Errorf("--by %q: want family, day, arch or unique", by)
			}
			return checkFormat(format)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := openStore(ctx, g.dbPath(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			ts, err := store.TriageOf(st)
			if err != nil {
				return err
			}
			its, err := ts.TriageItems(ctx)
			if err != nil {
				return err
			}
			items := make([]triage.Item, len(its))
			for i, it := range its {
				items[i] = triage.Item{SHA256: it.SHA256, TLSH: it.TLSH, Telfhash: it.Telfhash, Family: it.Family, Arch: it.Arch, First: it.First}
			}
			as := triage.Cluster(items, triage.ClusterOptions{})
			loc := st.Location()
			w := cmd.OutOrStdout()
			tr := func(k string) string { return triageText(lang, k) }
			switch by {
			case "day", "arch":
				rows := triage.FamilyTable(items, as, by, loc)
				if format == "json" {
					if rows == nil {
						rows = []triage.FamilyRow{}
					}
					return writeJSON(w, rows)
				}
				var table [][]string
				for _, r := range rows {
					table = append(table, []string{r.Key, cell(r.Family), strconv.Itoa(r.Samples)})
				}
				return writeFamilyTable(w, lang, []string{tr(map[string]string{"day": "day", "arch": "arch"}[by]), tr("family"), tr("samples")}, table, map[int]bool{2: true})
			case "unique":
				pts := triage.UniqueOverTime(items, loc)
				if format == "json" {
					if pts == nil {
						pts = []triage.UniquePoint{}
					}
					return writeJSON(w, pts)
				}
				var table [][]string
				for _, p := range pts {
					table = append(table, []string{p.Day, strconv.Itoa(p.New), strconv.Itoa(p.Cumulative)})
				}
				return writeFamilyTable(w, lang, []string{tr("day"), tr("new"), tr("cumulative")}, table, map[int]bool{1: true, 2: true})
			}
			sums := summarizeFamilies(items, as, loc)
			if format == "json" {
				if sums == nil {
					sums = []familySummary{}
				}
				return writeJSON(w, sums)
			}
			var table [][]string
			for _, s := range sums {
				table = append(table, []string{cell(s.Family), strconv.Itoa(s.Samples), strconv.Itoa(s.Clusters), cell(strings.Join(s.Archs, ",")), s.First, s.Last})
			}
			return writeFamilyTable(w, lang, []string{tr("family"), tr("samples"), tr("clusters"), tr("archs"), sessionText(lang, "firstSeen"), sessionText(lang, "lastSeen")},
				table, map[int]bool{1: true, 2: true})
		},
	}
	f := cmd.Flags()
	f.StringVar(&by, "by", "family", "family, day, arch or unique")
	f.StringVar(&format, "format", "table", "output format: table or json")
	f.StringVar(&lang, "lang", "en", "language of the labels: en or ja")
	return cmd
}

func writeFamilyTable(w io.Writer, lang string, head []string, rows [][]string, right map[int]bool) error {
	if len(rows) == 0 {
		fmt.Fprintln(w, triageText(lang, "noFamilies"))
		return nil
	}
	return writeTable(w, head, rows, right)
}

// summarizeFamilies lists each family's samples, clusters, architectures
// and the first and last days its samples were first seen; largest first.
func summarizeFamilies(items []triage.Item, as []triage.Assignment, loc *time.Location) []familySummary {
	byHash := map[string]triage.Item{}
	for _, it := range items {
		byHash[it.SHA256] = it
	}
	type acc struct {
		n           int
		clusters    map[string]bool
		archs       map[string]bool
		first, last time.Time
	}
	fams := map[string]*acc{}
	for _, a := range as {
		x := fams[a.Family]
		if x == nil {
			x = &acc{clusters: map[string]bool{}, archs: map[string]bool{}}
			fams[a.Family] = x
		}
		x.n++
		x.clusters[a.Cluster] = true
		it := byHash[a.SHA256]
		if it.Arch != "" {
			x.archs[it.Arch] = true
		}
		if t := it.First; !t.IsZero() {
			if x.first.IsZero() || t.Before(x.first) {
				x.first = t
			}
			if t.After(x.last) {
				x.last = t
			}
		}
	}
	var out []familySummary
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.DateOnly)
	}
	for f, x := range fams {
		s := familySummary{Family: f, Samples: x.n, Clusters: len(x.clusters), First: day(x.first), Last: day(x.last)}
		for a := range x.archs {
			s.Archs = append(s.Archs, a)
		}
		slices.Sort(s.Archs)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b familySummary) int {
		if a.Samples != b.Samples {
			return b.Samples - a.Samples
		}
		return strings.Compare(a.Family, b.Family)
	})
	return out
}

// sampleTriage returns the stored triage of ss (nil when the store keeps
// none, as through serve).
func sampleTriage(ctx context.Context, st store.Store, ss []session.Sample) map[string]store.TriageRecord {
	ts, err := store.TriageOf(st)
	if err != nil || len(ss) == 0 {
		return nil
	}
	shas := make([]string, len(ss))
	for i, s := range ss {
		shas[i] = s.SHA256
	}
	m, err := ts.Triage(ctx, shas)
	if err != nil {
		return nil
	}
	return m
}

// sampleListed is a sample as `samples list --format json` gives it: the
// sample's fields, and its triage when there is one.
type sampleListed struct {
	session.Sample
	Arch    string          `json:",omitempty"`
	Family  string          `json:",omitempty"`
	Cluster string          `json:",omitempty"`
	Triage  json.RawMessage `json:",omitempty"`
}

func listedSamples(ss []session.Sample, tr map[string]store.TriageRecord) []sampleListed {
	out := make([]sampleListed, len(ss))
	for i, s := range ss {
		out[i].Sample = s
		if r, ok := tr[s.SHA256]; ok {
			out[i].Arch, out[i].Family, out[i].Cluster = r.Arch, familyOf(r), r.Cluster
			if json.Valid(r.Result) {
				out[i].Triage = r.Result
			}
		}
	}
	return out
}

// familyOf is the family a record's clustering gave, else its markers'.
func familyOf(r store.TriageRecord) string {
	if r.ClusterFamily != "" {
		return r.ClusterFamily
	}
	return r.Family
}

// triageColumns are the list's extra cells for one sample.
func triageColumns(r store.TriageRecord, ok bool) []string {
	if !ok {
		return []string{"", ""}
	}
	return []string{cell(r.Arch), cell(familyOf(r))}
}

// writeTriage writes one sample's triage (`samples show`).
func writeTriage(w io.Writer, lang string, loc *time.Location, r store.TriageRecord, ok bool) {
	tr := func(k string) string { return triageText(lang, k) }
	fmt.Fprintln(w)
	if !ok {
		fmt.Fprintln(w, tr("noTriage"))
		return
	}
	var res triage.Result
	if err := json.Unmarshal(r.Result, &res); err != nil {
		fmt.Fprintln(w, tr("noTriage"))
		return
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return sessionText(lang, "none")
		}
		var out []string
		for _, s := range l {
			out = append(out, escapeText(s))
		}
		return strings.Join(out, ", ")
	}
	kv := [][]string{{tr("triaged"), timeText(r.Time, loc) + "  v" + strconv.Itoa(r.Version)}}
	if e := res.ELF; e != nil {
		link := tr("static")
		if !e.Static {
			link = fmt.Sprintf(tr("dynamic"), escapeText(e.Interp))
		}
		kv = append(kv,
			[]string{tr("arch"), escapeText(fmt.Sprintf("%s (ELF%d %s, machine %d)", e.Arch, e.Class, e.Endian, e.Machine))},
			[]string{tr("abi"), escapeText(e.ABI + " " + e.OSABI)},
			[]string{tr("linking"), link},
			[]string{tr("stripped"), string(e.Stripped)},
			[]string{tr("entry"), fmt.Sprintf("%#x", e.Entry)})
	}
	var packers []string
	for _, p := range res.Packers {
		s := p.Name
		if p.Version != "" {
			s += " " + p.Version
		}
		s += " (" + strings.Join(p.Evidence, ", ") + ")"
		packers = append(packers, s)
	}
	kv = append(kv,
		[]string{tr("packer"), list(packers)},
		[]string{tr("hashes"), res.MD5 + " / " + res.SHA1},
		[]string{tr("tlsh"), res.TLSH},
		[]string{tr("telfhash"), res.Telfhash},
		[]string{tr("family"), escapeText(familyOf(r))},
		[]string{tr("cluster"), escapeText(r.Cluster)},
		[]string{tr("ips"), list(res.IPs)},
		[]string{tr("domains"), list(res.Domains)},
		[]string{tr("urls"), list(res.URLs)})
	for _, f := range res.Families {
		kv = append(kv, []string{tr("markers") + " " + f.Family, fmt.Sprintf(tr("xorKey"), f.XORKey) + ": " + list(f.Markers)})
		if len(f.Decoded) > 0 {
			kv = append(kv, []string{tr("decoded"), list(f.Decoded)})
		}
	}
	writeKV(w, kv)
}

// openTriage opens the store for writing, its triage tables and the sample
// directory (--sample-dir, or "samples" beside the store).
func openTriage(ctx context.Context, g *globals, sampleDir string) (store.Store, store.TriageStore, *samplestore.Store, error) {
	st, err := openStore(ctx, g.dbPath(), true)
	if err != nil {
		return nil, nil, nil, err
	}
	ts, err := store.TriageOf(st)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	ss, err := samplestore.Open(sampleDirFor(sampleDir, g.dbPath()), samplestore.Options{})
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, ts, ss, nil
}
