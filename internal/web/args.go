package web

import (
	"net/url"
	"strings"
)

// A page's own parameters (page.Params) are not filters: links that keep
// the view carry them separately. A parameter that is also a path
// wildcard (/source/{ip}) comes from the path on the page and from the
// query in its downloads (/csv/source.days.csv?ip=...).

// arg is the value of one of the page's own parameters: the path value
// when the pattern has that wildcard, else the query's first value.
func (q *request) arg(name string) string {
	if q.page != nil && strings.Contains(q.page.Pattern, "{"+name+"}") {
		if v := q.r.PathValue(name); v != "" {
			return v
		}
	}
	return q.Rest.Get(name)
}

// args are the page's own parameters with a value, path values included
// when withPath (downloads name the page, not its path).
func (q *request) args(withPath bool) url.Values {
	out := url.Values{}
	if q.page == nil {
		return out
	}
	for _, n := range q.page.Params {
		inPath := strings.Contains(q.page.Pattern, "{"+n+"}")
		if inPath && !withPath {
			continue
		}
		if v := q.arg(n); v != "" {
			out.Set(n, v)
		}
	}
	return out
}

// withArgs adds the page's own parameters to a link u (see args).
func (q *request) withArgs(u string, withPath bool) string {
	a := q.args(withPath)
	if len(a) == 0 {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + a.Encode()
}

// argPairs are the page's own query parameters (not path values) as
// name, value pairs in the order of page.Params: the hidden fields that
// keep them when the filter form is sent.
func (q *request) argPairs() [][2]string {
	var out [][2]string
	a := q.args(false)
	if q.page == nil {
		return nil
	}
	for _, n := range q.page.Params {
		if v := a.Get(n); v != "" {
			out = append(out, [2]string{n, v})
		}
	}
	return out
}
