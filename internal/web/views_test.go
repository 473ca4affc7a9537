package web

import (
	"encoding/csv"
	"strings"
	"testing"
)

// TestViewPages: the compare, domestic and findings pages over the
// two-sensor store (its planted spike, Mexico, is a finding) and AS names
// holding HTML.
func TestViewPages(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, c := range []struct {
		target string
		want   map[string][]string // by language
	}{
		{"/compare", map[string][]string{"en": {"osaka / tokyo", "ρ = ", `name="a"`, "Similarity by class"}, "ja": {"osaka / tokyo", "ρ = ", "分類ごとの類似度"}}},
		{"/compare?a=tokyo&b=osaka", map[string][]string{"en": {"tokyo / osaka", `href="/country/`}, "ja": {"tokyo / osaka"}}},
		{"/domestic", map[string][]string{"en": {"Domestic sources · Japan", "&lt;script&gt;alert(2)&lt;/script&gt;", `href="/asn/AS`}, "ja": {"国内の送信元 · 日本"}}},
		{"/findings", map[string][]string{"en": {"Mexico", `href="/country/MX`}, "ja": {"メキシコ", `href="/country/MX`}}},
	} {
		for _, lang := range []string{"en", "ja"} {
			u := c.target + sepFor(c.target) + "lang=" + lang
			rec := get(t, h, u)
			b := body(rec)
			if rec.Code != 200 {
				t.Errorf("%s: %d %s", u, rec.Code, b)
				continue
			}
			if strings.Contains(b, "<script>") || strings.Contains(b, "<b>Evil") {
				t.Errorf("%s: an AS name unescaped", u)
			}
			for _, w := range c.want[lang] {
				if !strings.Contains(b, w) {
					t.Errorf("%s: no %q", u, w)
				}
			}
		}
	}
	for _, u := range []string{"/compare?a=nope", "/compare?a=tokyo&b=tokyo", "/compare?b=" + escapeQ(hpScript), "/findings?all=2", "/domestic?x=1"} {
		rec := get(t, h, u)
		if rec.Code != 400 {
			t.Errorf("%s: %d, want 400", u, rec.Code)
		}
		if strings.Contains(body(rec), "<script>") {
			t.Errorf("%s: the error page holds a script tag", u)
		}
	}
	// Downloads of the pages' charts and tables.
	for _, u := range []string{"/chart/compare.class-access.svg?a=tokyo&b=osaka", "/csv/compare.similarity.csv?a=tokyo&b=osaka",
		"/chart/domestic.asn.svg", "/csv/domestic.asn.csv", "/chart/findings.chart.svg"} {
		rec := get(t, h, u)
		if rec.Code != 200 || rec.Body.Len() < 50 {
			t.Errorf("%s: %d, %d bytes", u, rec.Code, rec.Body.Len())
		}
	}
}

// TestFindingsPage: the planted spike of the honeypot store is listed
// with its sentences, linked to China's page over the days around it.
func TestFindingsPage(t *testing.T) {
	h := newHoneypotHandler(t)
	for _, c := range []struct {
		target, lang string
		want         []string
	}{
		{"/findings", "en", []string{`href="/country/CN?`, "China", "Show every finding"}},
		{"/findings", "ja", []string{`href="/country/CN?`, "中国", "すべての検知を表示"}},
		{"/findings?all=1", "en", []string{`href="/country/CN?`, "Show the significant findings only"}},
	} {
		u := c.target + sepFor(c.target) + "lang=" + c.lang
		rec := get(t, h, u)
		b := body(rec)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", u, rec.Code, b)
		}
		for _, w := range c.want {
			if !strings.Contains(b, w) {
				t.Errorf("%s: no %q", u, w)
			}
		}
	}
	rec := get(t, h, "/csv/findings.list.csv")
	recs, err := csv.NewReader(strings.NewReader(body(rec))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("findings CSV: %v %v", recs, err)
	}
	mx := false
	for _, r := range recs[1:] {
		if r[7] == "country" && r[8] == "CN" {
			mx = true
			if !strings.Contains(r[15], "China") || !strings.Contains(r[16], "中国") {
				t.Errorf("China finding without its sentences: %v", r)
			}
		}
	}
	if !mx {
		t.Errorf("no China finding in %v", recs)
	}
}

// TestCatalogue: every message has an English and a Japanese text.
func TestCatalogue(t *testing.T) {
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("message %s: %q", k, m)
		}
	}
}

// TestJapanesePages: my pages in Japanese hold no English sentence of the
// catalogue (texts of two words or more that differ in Japanese).
func TestJapanesePages(t *testing.T) {
	hp := newHoneypotHandler(t)
	two := newTestHandler(t, Dependencies{}, Configuration{})
	targets := map[string]*Handler{
		"/sessions": hp, "/session/" + hpSessionIDs[0]: hp, "/session/" + hpSessionIDs[1]: hp, "/samples": hp,
		"/sample/" + hpSHA: hp, "/source/" + hpSrc.String(): hp, "/findings": hp, "/findings?all=1": hp,
		"/compare": two, "/domestic": two,
	}
	for target, h := range targets {
		u := target + sepFor(target) + "lang=ja"
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Errorf("%s: %d", u, rec.Code)
			continue
		}
		b := body(rec)
		for k, m := range messages {
			if m[0] == m[1] || !strings.Contains(m[0], " ") || len(m[0]) < 10 {
				continue
			}
			if strings.Contains(b, ">"+m[0]+"<") || strings.Contains(b, " "+m[0]+"<") {
				t.Errorf("%s: English text of %s left: %q", u, k, m[0])
			}
		}
	}
}
