package web

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
)

// messages is the catalogue: every fixed text a page shows, in English
// and Japanese. Pages add their own from init with addMessages; a test
// checks that every key has both and that pages use only known keys.
var (
	messages   = map[string][2]string{}
	messagesMu sync.Mutex
)

// addMessages adds entries to the catalogue; a key given twice panics.
func addMessages(m map[string][2]string) {
	messagesMu.Lock()
	defer messagesMu.Unlock()
	for k, v := range m {
		if _, dup := messages[k]; dup {
			panic("web: message " + k + " defined twice")
		}
		messages[k] = v
	}
}

func init() {
	addMessages(map[string][2]string{
		"brand":          {"honeyscope", "honeyscope"},
		"from":           {"From", "開始日"},
		"to":             {"To", "終了日"},
		"sensor":         {"Sensor", "センサー"},
		"allSensors":     {"all sensors", "全センサー"},
		"unit":           {"Count", "集計単位"},
		"unitPackets":    {"packets", "パケット数"},
		"unitSources":    {"distinct sources", "ユニークIP数"},
		"perDayPackets":  {"packets / day", "パケット数／日"},
		"perDaySources":  {"distinct sources / day", "ユニークIP数／日"},
		"apply":          {"Apply", "適用"},
		"reset":          {"Reset", "リセット"},
		"language":       {"Language", "言語"},
		"autoRefresh":    {"Auto-refresh", "自動更新"},
		"refreshOff":     {"off", "オフ"},
		"seconds":        {"%d s", "%d秒"},
		"version":        {"Version", "バージョン"},
		"dataRange":      {"Data", "データ"},
		"noDataYet":      {"no data yet", "データなし"},
		"timeZone":       {"time zone", "タイムゾーン"},
		"period":         {"Period", "期間"},
		"download":       {"Download", "ダウンロード"},
		"csv":            {"CSV", "CSV"},
		"svg":            {"SVG", "SVG"},
		"png":            {"PNG", "PNG"},
		"other":          {"other", "その他"},
		"noRows":         {"Nothing in this period.", "この期間には該当するデータがありません。"},
		"badRequest":     {"Bad request", "リクエストが不正です"},
		"badParam":       {"Parameter", "パラメータ"},
		"notFound":       {"No such page.", "ページが見つかりません。"},
		"noData":         {"The store holds no data for this selection.", "この条件に該当するデータがストアにありません。"},
		"timeout":        {"The store took too long to answer; try a shorter period.", "ストアの応答に時間がかかりすぎました。期間を短くしてお試しください。"},
		"internal":       {"Something went wrong on the server; the error was logged.", "サーバーでエラーが発生しました（ログに記録しました）。"},
		"errorTitle":     {"Error", "エラー"},
		"backHome":       {"Back to the overview", "概要に戻る"},
		"country":        {"Country", "国"},
		"port":           {"Port", "ポート"},
		"asn":            {"AS", "AS"},
		"org":            {"Organisation", "組織"},
		"packets":        {"Packets", "パケット数"},
		"sources":        {"Distinct sources", "ユニークIP数"},
		"share":          {"Share", "割合"},
		"class":          {"Class", "分類"},
		"day":            {"Day", "日付"},
		"source":         {"Source", "送信元"},
		"byCountry":      {"By country", "国別"},
		"byPort":         {"By destination port", "宛先ポート別"},
		"byASN":          {"By AS", "AS別"},
		"portDays":       {"Ports by day", "ポート別の観測日"},
		"topCountries":   {"Top countries", "上位の国"},
		"topPorts":       {"Top ports", "上位のポート"},
		"topASNs":        {"Top ASes", "上位のAS"},
		"topSources":     {"Top sources", "上位の送信元"},
		"unknownAS":      {"unknown AS", "AS不明"},
		"brushHint":      {"Drag over days to select them; click a bar for its drill-down.", "日付の範囲をドラッグで選択できます。棒をクリックすると詳細を表示します。"},
		"makeReport":     {"Make a report of this view", "この表示からレポートを作成"},
		"reportDisabled": {"Reports from the dashboard are disabled (no report folder is configured).", "ダッシュボードからのレポート作成は無効です（レポートの出力先が設定されていません）。"},
		"reportWritten":  {"The report was written to", "レポートを書き出しました："},
		"reportTitle":    {"Report", "レポート"},
		"reportFiles":    {"files", "ファイル"},
		"csrfFailed":     {"The form has expired or did not come from this dashboard; reload the page and try again.", "フォームの有効期限が切れているか、このダッシュボードからの送信ではありません。ページを再読み込みしてやり直してください。"},
		"login":          {"Log in", "ログイン"},
		"logout":         {"Log out", "ログアウト"},
		"user":           {"User", "ユーザー名"},
		"password":       {"Password", "パスワード"},
		"loginFailed":    {"Wrong user or password.", "ユーザー名またはパスワードが違います。"},
		"tooMany":        {"Too many failed logins from your address; wait a minute.", "このアドレスからのログイン失敗が多すぎます。1分ほど待ってからお試しください。"},
		"partialDays":    {"of the sensors", "センサー"},
	})
}

// t is key in lang ("ja" or anything else: English); an unknown key is
// returned as it is (a test keeps the catalogue complete).
func (h *Handler) t(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "ja" {
		return m[1]
	}
	return m[0]
}

// className is a class's display name, capitalised in English.
func className(class, lang string) string {
	n := analysis.ClassName(class, lang)
	if lang != "ja" && len(n) > 0 && n[0] >= 'a' && n[0] <= 'z' {
		return string(n[0]-'a'+'A') + n[1:]
	}
	return n
}

// keyName is how a key of a dimension is shown: countries by their
// localised name and code, ASes with their organisation, ports as keys.
func keyName(dim, key, lang string, orgs map[string]string) string {
	switch dim {
	case analysis.DimCountry:
		if key == period.OtherKey {
			return messagesText("other", lang)
		}
		return geo.CountryName(key, lang) + " (" + key + ")"
	case analysis.DimASN:
		if key == period.OtherKey {
			return messagesText("other", lang)
		}
		if org := orgs[key]; org != "" {
			return key + " " + org
		}
		if key == "AS0" {
			return key + " " + messagesText("unknownAS", lang)
		}
	}
	if period.IsOther(key) && key == period.OtherKey {
		return messagesText("other", lang)
	}
	return key
}

func messagesText(key, lang string) string {
	m := messages[key]
	if lang == "ja" {
		return m[1]
	}
	return m[0]
}

// dayLong is "24 May 2026" / "2026年5月24日".
func dayLong(d civil.Day, lang string) string {
	y, m, dd := d.Date()
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", y, int(m), dd)
	}
	return fmt.Sprintf("%d %s %d", dd, m.String()[:3], y)
}

// rangeText is a period in words.
func rangeText(r period.Range, lang string) string {
	if r.From == r.To {
		return dayLong(r.From, lang)
	}
	sep := " – "
	if lang == "ja" {
		sep = "〜"
	}
	return dayLong(r.From, lang) + sep + dayLong(r.To, lang)
}

// changeText is a change as "+12%", "−40%", "new" or "–".
func changeText(c analysis.Change, lang string) string {
	switch {
	case c.New:
		if lang == "ja" {
			return "新規"
		}
		return "new"
	case c.Ratio != c.Ratio: // NaN
		return "–"
	}
	p := c.Percent
	s := strconv.FormatFloat(p, 'f', 0, 64) + "%"
	if p > 0 {
		s = "+" + s
	} else if p < 0 {
		s = "−" + strconv.FormatFloat(-p, 'f', 0, 64) + "%"
	}
	return s
}
