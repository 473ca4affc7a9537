package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// The report is assembled as a list of blocks and written twice, as HTML
// and as Markdown, so that both always say the same.

type blockKind int

const (
	bH2 blockKind = iota
	bH3
	bPara
	bNote
	bList
	bFigure
	bTable
)

type block struct {
	kind  blockKind
	id    string // anchor of headings
	text  string
	items []string
	fig   *figure
	tab   *table
}

// figure is one chart, written as NAME.svg and NAME.png.
type figure struct {
	name string
	alt  string
	svg  []byte
}

// table is shown formatted and written raw to NAME.csv.
type table struct {
	name    string
	caption string
	head    []string
	rows    [][]string
	numeric []bool // right-aligned columns
	csvHead []string
	csvRows [][]string
}

type doc struct {
	lang   string
	title  string
	meta   [][2]string // label, value lines under the title
	blocks []block
}

func (d *doc) h2(id, text string)  { d.blocks = append(d.blocks, block{kind: bH2, id: id, text: text}) }
func (d *doc) h3(id, text string)  { d.blocks = append(d.blocks, block{kind: bH3, id: id, text: text}) }
func (d *doc) para(text string)    { d.blocks = append(d.blocks, block{kind: bPara, text: text}) }
func (d *doc) note(text string)    { d.blocks = append(d.blocks, block{kind: bNote, text: text}) }
func (d *doc) list(items []string) { d.blocks = append(d.blocks, block{kind: bList, items: items}) }
func (d *doc) fig(f *figure)       { d.blocks = append(d.blocks, block{kind: bFigure, fig: f}) }
func (d *doc) table(t *table)      { d.blocks = append(d.blocks, block{kind: bTable, tab: t}) }

const css = `
:root{--text:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#fff;--soft:#f6f8fa;--accent:#4e79a7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.65 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans CJK JP","Noto Sans JP","Yu Gothic",Meiryo,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:880px;margin:0 auto;padding:40px 24px 80px}
h1{font-size:30px;line-height:1.25;margin:0 0 6px;letter-spacing:-.01em}
h2{font-size:22px;margin:56px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:17px;margin:32px 0 8px;color:#24292f}
p{margin:8px 0 12px}
.meta{color:var(--muted);font-size:13.5px;margin:0 0 24px;display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
.meta dt{font-weight:600}.meta dd{margin:0}
nav.toc{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:14px 20px;margin:20px 0 8px;font-size:14px}
nav.toc h2{font-size:14px;margin:0 0 6px;border:0;padding:0;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}
nav.toc ol{margin:0;padding-left:20px}nav.toc ol ol{padding-left:18px;font-size:13.5px}
nav.toc a{color:var(--text);text-decoration:none}nav.toc a:hover{color:var(--accent);text-decoration:underline}
.note{color:var(--muted);font-size:13.5px}
ul.findings{padding-left:20px}ul.findings li{margin:6px 0}
figure{margin:16px 0 22px}
figure svg{display:block;max-width:100%;height:auto}
figure figcaption{font-size:12.5px;color:var(--muted);margin-top:2px}
figure figcaption a{color:var(--muted)}
.tablewrap{overflow-x:auto;margin:10px 0 22px}
table{border-collapse:collapse;font-size:13px;width:100%}
caption{text-align:left;font-weight:600;padding:0 0 6px;font-size:14px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:var(--soft);font-weight:600;border-bottom:2px solid var(--line)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:hover{background:#fafbfc}
td.wrap{white-space:normal;min-width:260px}
.csv{font-size:12px;color:var(--muted)}
.csv a{color:var(--muted)}
@media print{main{max-width:none}nav.toc{display:none}}
`

// writeHTML writes index.html: inline CSS, inline SVG charts (their hover
// titles work only inline), links to the PNG/SVG files and CSVs beside it.
func (d *doc) writeHTML(dir string) error {
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", esc(d.lang))
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(d.title), css)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<dl class=\"meta\">\n", esc(d.title))
	for _, m := range d.meta {
		fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>\n", esc(m[0]), esc(m[1]))
	}
	b.WriteString("</dl>\n")
	// Table of contents from the headings: sections with their
	// subsections nested.
	toc := "Contents"
	if d.lang == "ja" {
		toc = "目次"
	}
	fmt.Fprintf(&b, "<nav class=\"toc\"><h2>%s</h2>\n<ol>\n", esc(toc))
	inSection, inSub := false, false
	for _, bl := range d.blocks {
		switch bl.kind {
		case bH2:
			if inSub {
				b.WriteString("</ol>")
				inSub = false
			}
			if inSection {
				b.WriteString("</li>\n")
			}
			fmt.Fprintf(&b, "<li><a href=\"#%s\">%s</a>", bl.id, esc(bl.text))
			inSection = true
		case bH3:
			if !inSub {
				b.WriteString("<ol>")
				inSub = true
			}
			fmt.Fprintf(&b, "<li><a href=\"#%s\">%s</a></li>", bl.id, esc(bl.text))
		}
	}
	if inSub {
		b.WriteString("</ol>")
	}
	if inSection {
		b.WriteString("</li>\n")
	}
	b.WriteString("</ol>\n</nav>\n")
	for _, bl := range d.blocks {
		switch bl.kind {
		case bH2:
			fmt.Fprintf(&b, "<h2 id=\"%s\">%s</h2>\n", bl.id, esc(bl.text))
		case bH3:
			fmt.Fprintf(&b, "<h3 id=\"%s\">%s</h3>\n", bl.id, esc(bl.text))
		case bPara:
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(bl.text))
		case bNote:
			fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", esc(bl.text))
		case bList:
			b.WriteString("<ul class=\"findings\">\n")
			for _, it := range bl.items {
				fmt.Fprintf(&b, "<li>%s</li>\n", esc(it))
			}
			b.WriteString("</ul>\n")
		case bFigure:
			f := bl.fig
			fmt.Fprintf(&b, "<figure id=\"fig-%s\">\n", f.name)
			// Inline SVGs share one document: give each chart's pattern id
			// its own name so the page has no duplicate ids.
			b.Write(bytes.ReplaceAll(f.svg, []byte("nodata-hatch"), []byte("nodata-hatch-"+f.name)))
			fmt.Fprintf(&b, "\n<figcaption>%s · <a href=\"%s.png\">PNG</a> · <a href=\"%s.svg\">SVG</a></figcaption>\n</figure>\n",
				esc(f.alt), f.name, f.name)
		case bTable:
			t := bl.tab
			b.WriteString("<div class=\"tablewrap\"><table>\n")
			if t.caption != "" {
				fmt.Fprintf(&b, "<caption>%s</caption>\n", esc(t.caption))
			}
			b.WriteString("<thead><tr>")
			for i, h := range t.head {
				fmt.Fprintf(&b, "<th%s>%s</th>", cellClass(t, i, h), esc(h))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for _, r := range t.rows {
				b.WriteString("<tr>")
				for i, c := range r {
					fmt.Fprintf(&b, "<td%s>%s</td>", cellClass(t, i, c), esc(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody></table>\n")
			fmt.Fprintf(&b, "<div class=\"csv\"><a href=\"%s.csv\">%s.csv</a></div></div>\n", t.name, t.name)
		}
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return writeFile(filepath.Join(dir, "index.html"), b.Bytes())
}

func cellClass(t *table, i int, text string) string {
	switch {
	case i < len(t.numeric) && t.numeric[i]:
		return ` class="num"`
	case len([]rune(text)) > 60:
		return ` class="wrap"`
	}
	return ""
}

// writeMarkdown writes report.md with the PNG charts as image links.
func (d *doc) writeMarkdown(dir string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", d.title)
	for _, m := range d.meta {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEsc(m[0]), mdEsc(m[1]))
	}
	b.WriteString("\n")
	for _, bl := range d.blocks {
		if bl.kind == bH2 {
			fmt.Fprintf(&b, "- [%s](#%s)\n", mdEsc(bl.text), bl.id)
		}
		if bl.kind == bH3 {
			fmt.Fprintf(&b, "  - [%s](#%s)\n", mdEsc(bl.text), bl.id)
		}
	}
	b.WriteString("\n")
	for _, bl := range d.blocks {
		switch bl.kind {
		case bH2:
			fmt.Fprintf(&b, "<a id=\"%s\"></a>\n\n## %s\n\n", bl.id, mdEsc(bl.text))
		case bH3:
			fmt.Fprintf(&b, "<a id=\"%s\"></a>\n\n### %s\n\n", bl.id, mdEsc(bl.text))
		case bPara:
			fmt.Fprintf(&b, "%s\n\n", mdEsc(bl.text))
		case bNote:
			fmt.Fprintf(&b, "*%s*\n\n", mdEsc(bl.text))
		case bList:
			for _, it := range bl.items {
				fmt.Fprintf(&b, "- %s\n", mdEsc(it))
			}
			b.WriteString("\n")
		case bFigure:
			fmt.Fprintf(&b, "![%s](%s.png)\n\n", mdEsc(bl.fig.alt), bl.fig.name)
		case bTable:
			t := bl.tab
			if t.caption != "" {
				fmt.Fprintf(&b, "**%s**\n\n", mdEsc(t.caption))
			}
			b.WriteString("|")
			for _, h := range t.head {
				fmt.Fprintf(&b, " %s |", mdCell(h))
			}
			b.WriteString("\n|")
			for i := range t.head {
				if i < len(t.numeric) && t.numeric[i] {
					b.WriteString("---:|")
				} else {
					b.WriteString("---|")
				}
			}
			b.WriteString("\n")
			for _, r := range t.rows {
				b.WriteString("|")
				for _, c := range r {
					fmt.Fprintf(&b, " %s |", mdCell(c))
				}
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "\n[%s.csv](%s.csv)\n\n", t.name, t.name)
		}
	}
	return writeFile(filepath.Join(dir, "report.md"), b.Bytes())
}

// mdEsc escapes the characters Markdown would treat as markup in running
// text.
func mdEsc(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

func mdCell(s string) string { return strings.ReplaceAll(mdEsc(s), "|", `\|`) }

// writeCSV writes a table's raw values.
func writeCSV(dir string, t *table) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(t.csvHead); err != nil {
		return err
	}
	if err := w.WriteAll(t.csvRows); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, t.name+".csv"), b.Bytes())
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
