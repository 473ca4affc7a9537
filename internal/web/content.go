package web

import (
	"bytes"
	"encoding/csv"
	"html/template"
	"strconv"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
)

// content is what a page's builder fills: its title, the charts and
// tables (each downloadable by its ID) and page-specific data for its
// template.
type content struct {
	page *page
	// Title heads the page; Lead is a line under it.
	Title, Lead string
	// Range is the period shown (zero: none).
	Range    period.Range
	HasRange bool
	// Figures and Tables by ID, in page order.
	Figures []*figure
	Tables  []*table
	// Notes are short remarks shown under the title (coverage, drops).
	Notes []string
	// Data is the page's own data for its template.
	Data any
}

// figure is one chart of a page.
type figure struct {
	// ID is unique in the page; the chart downloads as
	// /chart/PAGE.ID.svg and .png.
	ID    string
	Title string
	Chart chart.Chart
	// Brush lets the user drag over days of the chart to select them
	// (daily charts with DayLinks).
	Brush bool
	svg   template.HTML
	// SVGHref and PNGHref are its downloads.
	SVGHref, PNGHref string
}

// SVG is the chart inline. The chart package escapes every text it
// writes (XML escaping, valid in HTML), and no attribute it writes is a
// style: the markup passes the page's CSP.
func (f *figure) SVG() template.HTML { return f.svg }

// table is one table of a page: cells as shown (with links) and the raw
// values written as CSV.
type table struct {
	// ID is unique in the page; the table downloads as /csv/PAGE.ID.csv.
	ID      string
	Caption string
	Head    []string
	// Numeric flags right-aligned columns.
	Numeric []bool
	Rows    [][]cell
	// CSVHead and CSVRows are the raw table (nil: Head and the cells'
	// texts).
	CSVHead []string
	CSVRows [][]string
	// CSVHref is its download.
	CSVHref string
	// Empty is shown when there are no rows.
	Empty string
}

// cell is one table cell: text, an optional link, a class.
type cell struct {
	Text, Href string
	Num        bool
	// Title is hover text.
	Title string
	// Wrap lets a long text wrap (commands, URLs).
	Wrap bool
}

func (c *content) addFigure(f *figure) { c.Figures = append(c.Figures, f) }
func (c *content) addTable(t *table)   { c.Tables = append(c.Tables, t) }

// Figure is the figure with id (nil when absent), for templates.
func (c *content) Figure(id string) *figure {
	for _, f := range c.Figures {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Table is the table with id (nil when absent), for templates.
func (c *content) Table(id string) *table {
	for _, t := range c.Tables {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// csvBytes writes the table's raw values.
func (t *table) csvBytes() []byte {
	head, rows := t.CSVHead, t.CSVRows
	if head == nil {
		head = t.Head
	}
	if rows == nil {
		for _, r := range t.Rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = c.Text
			}
			rows = append(rows, rec)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(defuse(head))
	for _, r := range rows {
		w.Write(defuse(r))
	}
	w.Flush()
	return b.Bytes()
}

// defuse keeps spreadsheets from reading a cell as a formula: a cell that
// starts with =, +, @, a tab or a carriage return, or with - not followed
// by a digit, gets a leading apostrophe (attacker strings end up in
// tables: AS names, paths).
func defuse(rec []string) []string {
	out := make([]string, len(rec))
	for i, c := range rec {
		out[i] = c
		if c == "" {
			continue
		}
		switch c[0] {
		case '=', '+', '@', '\t', '\r':
			out[i] = "'" + c
		case '-':
			if len(c) == 1 || c[1] < '0' || c[1] > '9' {
				out[i] = "'" + c
			}
		}
	}
	return out
}

// text is a cell without link; num a right-aligned one.
func text(s string) cell       { return cell{Text: s} }
func link(s, href string) cell { return cell{Text: s, Href: href} }
func num(v float64) cell       { return cell{Text: chart.FormatCount(v), Num: true} }
func numLink(v float64, href string) cell {
	return cell{Text: chart.FormatCount(v), Num: true, Href: href}
}

// raw writes a value for CSV: integers without a fraction.
func raw(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
