// Package web is honeyscope's dashboard: server-rendered pages of the
// store's data (the same charts as the report, drawn by package chart from
// what package period answers), as an http.Handler that serve mounts at
// "/" beside the API.
//
// # Shape
//
//   - root.go: New, the routes, the security headers (a strict CSP: no
//     inline script or style anywhere; the charts' SVG uses presentation
//     attributes only), error pages.
//   - filters.go: every filter of a view parsed from the URL query into
//     one validated Filters (a bad value is a 400 page naming the
//     parameter), and Filters.URL, which builds the link of the same view
//     on another page.
//   - page.go: the page registry and the request a page builder gets
//     (filters, language, the period source, the loaded period view).
//   - content.go: what a builder fills (figures, tables, notes, data).
//   - helpers.go, drill.go: what pages share: links of keys and days,
//     stacked daily charts as the report lays them out (period.Stack),
//     series narrowed by the filters (country, port, AS), the port × day
//     dot plot, top tables.
//   - page_overview.go, page_class.go, page_subject.go (country, port and
//     AS pages): the pages, each with its templates/page_NAME.html.
//   - cache.go: pages just shown, kept a minute for their downloads.
//   - layout.go and templates/layout.html: the layout (navigation,
//     language switch, filter bar, footer) and the partials "figure",
//     "table", "head" and "report".
//   - i18n.go: the message catalogue (English and Japanese), class, key
//     and day names.
//   - auth.go: login, sessions, CSRF tokens, the login rate limit.
//   - download.go: chart (SVG, PNG) and table (CSV) downloads.
//   - makereport.go: "make a report of this view".
//   - static/: the stylesheet and script, embedded and served under
//     content-hashed names.
//
// # Routes
//
//	GET  /                          overview
//	GET  /class/{class}             one class (access, mirai, ...)
//	GET  /country/{country}         one country (ISO code)
//	GET  /port/{port}               one port ("23", "23-tcp" or "53-udp")
//	GET  /asn/{asn}                 one AS ("13335" or "AS13335")
//	GET  /source/{ip}               one source address: days, classes, ports,
//	                                source ports, exploit matches, sessions
//	GET  /sessions                  honeypot sessions (src, user, q, service, page)
//	GET  /session/{id}              one session's transcript
//	GET  /samples                   samples (src, page)
//	GET  /sample/{sha256}           one sample (a prefix of 8+ hex digits)
//	GET  /compare                   two sensors side by side (a, b)
//	GET  /domestic                  sources in Dependencies.Country
//	GET  /findings                  spikes and rises with their sentences (all=1)
//	GET  /chart/PAGE.ID.svg|png     a page's chart, for the query's filters
//	GET  /csv/PAGE.ID.csv           a page's table as CSV
//	POST /report                    write the report of a view (CSRF token)
//	GET  /login, POST /login        when Dependencies.Login is set
//	POST /logout
//	GET  /static/FILE               embedded assets
//
// A page's own parameters (page.Params: src, user, ...) are kept in its
// language links, filter form and downloads; a path value that is not a
// filter (/source/{ip}) is a Param too and reaches downloads as a query
// parameter (/csv/source.days.csv?ip=...); builders read both with q.arg.
//
// Every page and download takes the filters from its query: from, to
// (YYYY-MM-DD), sensor (comma list), class, country, port (23/tcp), asn,
// unit (packets|sources), lang (en|ja; else Accept-Language, else en) and
// refresh (seconds: the page reloads itself). Path values are filters too:
// /class/mirai is the class page with class=mirai, which is why downloads
// can name the page and give its path values in the query.
//
// # Adding a page
//
// A page is two files: page_NAME.go and templates/page_NAME.html.
//
// page_NAME.go registers the page from init:
//
//	func init() {
//		register(&page{
//			Name: "sessions", Pattern: "/sessions", Nav: "navSessions", NavOrder: 60,
//			Params: []string{"q"},           // its own query parameters, if any
//			Build:  buildSessions,
//		})
//		addMessages(map[string][2]string{"navSessions": {"Sessions", "セッション"}})
//	}
//
//	func buildSessions(q *request, c *content) error {
//		r, err := q.Range()              // the filters' period (period.Resolve)
//		...                              // ask q.Source() (period) or q.h.deps.Store (sessions)
//		c.Title = q.T("navSessions")
//		c.Range, c.HasRange = r, true
//		c.addTable(&table{ID: "list", Head: ..., Rows: ...})  // downloads as /csv/sessions.list.csv
//		c.addFigure(&figure{ID: "daily", Title: ..., Chart: &chart.StackedBars{...}})
//		return nil
//	}
//
// Builders never write to the response: they return a *FilterError for a
// bad parameter (400), errNotFound (404) or another error (500, logged).
// Everything a page shows comes from package period or the store's typed
// questions, never SQL. Links are built with q.link / Filters.URL so that
// they keep the view's filters; chart elements get their links through
// chart.Series.Href, chart.Mark.Href, chart.DotRow.Href and
// chart.StackedBars.DayLinks (which also enables brushing when the figure
// has Brush set).
//
// templates/page_NAME.html defines "content", usually:
//
//	{{define "content"}}{{template "head" .}}
//	<div class="grid">{{template "figure" .C.Figure "daily"}}</div>
//	{{template "table" .C.Table "list"}}
//	{{template "report" .}}{{end}}
//
// Every visible string comes from the catalogue ({{.T "key"}} in
// templates, q.T in builders); a test renders every page in Japanese and
// checks that no English text of the catalogue is left. Strings from the
// store (AS names, commands, URLs) are only ever passed to templates as
// strings, which html/template escapes; never as template.HTML.
package web
