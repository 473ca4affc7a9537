package report

import (
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
)

// msgs holds every fixed text of the report in English and Japanese.
var msgs = map[string][2]string{
	"title":           {"Observation report", "観測レポート"},
	"contents":        {"Contents", "目次"},
	"summary":         {"Summary", "概要"},
	"coverage":        {"Data coverage", "データの欠測"},
	"spikes":          {"Spikes and rises", "急増・増加傾向"},
	"compare":         {"Sensor comparison", "センサー間の比較"},
	"domestic":        {"Domestic (JP) sources by AS", "国内（JP）送信元のAS別推移"},
	"notes":           {"Method", "集計方法"},
	"byCountry":       {"By country", "国別"},
	"byPort":          {"By destination port", "宛先ポート別"},
	"portDays":        {"Ports by day", "ポート別の観測日"},
	"topTables":       {"Top 10", "上位10件"},
	"class":           {"Class", "分類"},
	"packets":         {"Packets", "パケット数"},
	"sources":         {"Distinct sources", "ユニークIP数"},
	"change":          {"vs previous period", "前期間比"},
	"changeDay":       {"Change / day", "前期間比（日平均）"},
	"previousPackets": {"Prev. period packets", "前期間のパケット数"},
	"portsWord":       {"ports", "ポート"},
	"portsOnlyIn":     {"Ports seen only at", "片方のみで観測されたポート："},
	"similarityNote":  {"Spearman is computed over the union of both sensors' top 20 countries of each class: the long tail of countries with a few packets would otherwise decide the ranks.", "スピアマン順位相関は、分類ごとに両センサーの上位20か国の和集合で計算しています（数パケットしかない多数の国の順位に左右されないようにするため）。"},
	"partialNote":     {"Only part of these days was captured, so their bars are low:", "次の日は一部の時間帯のみのデータのため、棒が低くなっています："},
	"previous":        {"Previous period", "前期間"},
	"prevNoData":      {"The previous period of the same length has no data, so there is nothing to compare with.", "同じ長さの前期間にはデータがないため、比較できません。"},
	"country":         {"Country", "国"},
	"port":            {"Port", "ポート"},
	"asn":             {"AS", "AS"},
	"org":             {"Organisation", "組織"},
	"share":           {"Share", "割合"},
	"rank":            {"#", "順位"},
	"day":             {"Day", "日付"},
	"kind":            {"Kind", "種類"},
	"key":             {"Key", "対象"},
	"value":           {"Value", "値"},
	"baseline":        {"Baseline", "基準値"},
	"ratio":           {"Ratio", "倍率"},
	"sentence":        {"Finding", "所見"},
	"drivers":         {"Drivers", "主な要因"},
	"other":           {"other", "その他"},
	"sensor":          {"Sensor", "センサー"},
	"addresses":       {"Monitored addresses", "観測アドレス数"},
	"presentDays":     {"Days with data", "データのある日数"},
	"perAddr":         {"Packets per day per address", "1アドレス・1日あたりパケット数"},
	"spearman":        {"Spearman (country ranks)", "スピアマン順位相関（国）"},
	"dailyCorr":       {"Daily co-movement", "日次推移の相関"},
	"onlyIn":          {"Countries seen only at", "片方のみで観測された国："},
	"state":           {"State", "状態"},
	"noData":          {"no data", "データなし"},
	"partial":         {"partial", "一部欠測"},
	"missingHours":    {"Hours without data (h)", "欠測時間（時間）"},
	"steady":          {"steady", "定常"},
	"sporadic":        {"sporadic", "散発"},
	"daysActive":      {"Days active", "観測日数"},
	"firstDay":        {"First seen", "初観測日"},
	"spikeKind":       {"spike", "急増"},
	"riseKind":        {"rise", "増加傾向"},
	"noSpikes":        {"No spikes or sustained rises were found in this period.", "この期間に急増・増加傾向は見つかりませんでした。"},
	"allCovered":      {"Every selected sensor captured every day of the period.", "選択したすべてのセンサーで、期間中の全日のデータがあります。"},
	"noDomestic":      {"No sources placed in Japan were seen in this period.", "この期間、日本に割り当てられた送信元は観測されませんでした。"},
	"generated":       {"Generated", "作成"},
	"unitPackets":     {"packets", "パケット"},
	"unitSources":     {"distinct sources", "ユニークIP"},
	"perDayPackets":   {"packets / day", "パケット数／日"},
	"perDaySources":   {"distinct sources / day", "ユニークIP数／日"},
	"csv":             {"CSV", "CSV"},
	"annotations":     {"Annotations", "注記"},
	"sensorsLabel":    {"Sensors", "センサー"},
	"unitLabel":       {"Counted in", "集計単位"},
	"tzLabel":         {"Days in time zone", "日付のタイムゾーン"},
	"periodLabel":     {"Period", "期間"},
	"headlineTotal":   {"All traffic", "全体"},
	"comparedWith":    {"compared with", "比較対象："},
	"domesticSub":     {"distinct JP sources per day, top ASes", "日本の送信元のユニークIP数（日別、上位AS）"},
	"perAddrTitle":    {"Packets per day per monitored address", "観測アドレス1つあたりの1日のパケット数"},
	"sharesTitle":     {"Country shares", "国別の割合"},
	"similar":         {"similar", "類似"},
	"foldedNote":      {"folded", "まとめ表示"},
	"unknownAS":       {"unknown AS", "AS不明"},
	"otherPorts":      {"other ports", "その他のポート"},
	"otherASes":       {"other ASes", "その他のAS"},
	"spikeOnChart":    {"Spikes and rises are marked ▼ on the charts.", "急増・増加傾向はグラフ上に▼で示しています。"},
	"hatchNote":       {"Hatched days had no data: no capture covered them. They are not zero.", "斜線の日はデータがありません（キャプチャがない日）。ゼロではありません。"},
	"methodBaseline":  {"A spike is a day far above the median of the preceding 7–28 days with data (ratio ≥ 3 and robust z-score ≥ 5; at least 50 packets and 30 above the median, or 10 distinct sources and 6 above the median); a rise is three or more consecutive days above twice that baseline. With several sensors, spikes are sought in each sensor's own series; the same event at two sensors is told once. Days without data are skipped, never counted as zero; in the charts that add up several sensors, a day that one of them missed is drawn as a gap.", "急増は、データのある直前7〜28日の中央値を大きく上回った日です（中央値の3倍以上かつロバストzスコア5以上。パケット数では値50以上で中央値より30以上多い場合、ユニークIP数では値10以上で中央値より6以上多い場合）。増加傾向は、その基準値の2倍を超える日が3日以上続いた場合です。複数のセンサーがあるときは、センサーごとの系列で検出し、両方で見つかった同じ事象は1件として示します。データのない日は基準値に含めず、ゼロとしても扱いません。複数センサーを合算したグラフでは、いずれかのセンサーにデータがない日を欠測として示します。"},
	"methodSpearman":  {"Sensor similarity is Spearman's rank correlation of the two sensors' country totals over the union of their top 20 countries (1: same order of source countries, 0: unrelated); daily co-movement is the mean Pearson correlation of the daily series of the countries in the share table.", "センサー間の類似度は、2つのセンサーの上位20か国の和集合について国別合計のスピアマン順位相関をとったものです（1：送信元国の順位が同じ、0：無関係）。日次推移の相関は、割合表にある国の日次系列のピアソン相関の平均です。"},
	"methodPorts":     {"A port is steady when it was hit on at least 80% of the days with data, sporadic otherwise. Ports outside the top ones are folded into one row per protocol.", "ポートは、データのある日の80%以上で観測されれば定常、それ以外は散発としています。上位以外のポートはプロトコルごとに、1024未満は「その他のポート」、1024以上で分類の0.5%未満のポートは「1024–65535：Nポート」の1行にまとめています。"},
	"methodUnit":      {"Packets are raw packet counts; distinct sources count each source address once per day (per period in tables).", "パケット数は受信パケットの総数、ユニークIP数は送信元アドレスを1日（表では期間）に1回だけ数えた数です。"},
}

// tr returns the text of key in the report's language.
func (b *builder) tr(key string) string {
	m, ok := msgs[key]
	if !ok {
		return key
	}
	if b.ja {
		return m[1]
	}
	return m[0]
}

// dayLong is a day with its year: "24 May 2026" / "2026年5月24日".
func (b *builder) dayLong(t time.Time) string {
	if b.ja {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
}

// dayShort is a day without its year: "24 May" / "5月24日".
func (b *builder) dayShort(t time.Time) string {
	if b.ja {
		return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d %s", t.Day(), t.Month().String()[:3])
}

// period is "24 May – 30 May 2026" / "2026年5月24日〜5月30日".
func (b *builder) period(from, to time.Time) string {
	if b.ja {
		if from.Year() == to.Year() {
			return b.dayLong(from) + "〜" + b.dayShort(to)
		}
		return b.dayLong(from) + "〜" + b.dayLong(to)
	}
	if from.Year() == to.Year() {
		return b.dayShort(from) + " – " + b.dayLong(to)
	}
	return b.dayLong(from) + " – " + b.dayLong(to)
}

// className is the display name of a class for headings: "Mirai-like
// packets" / "Mirai特徴パケット".
func (b *builder) className(class string) string {
	n := analysis.ClassName(class, b.lang)
	if !b.ja && len(n) > 0 && n[0] >= 'a' && n[0] <= 'z' {
		return string(n[0]-'a'+'A') + n[1:]
	}
	return n
}

// keyName is the display name of a key: country names localised, AS
// numbers with their organisation, ports as "23/TCP".
func (b *builder) keyName(dim, key string) string {
	switch {
	case dim == analysis.DimCountry:
		return geo.CountryName(key, b.lang)
	case period.IsOther(key) && dim == analysis.DimPort:
		return b.tr("otherPorts")
	case period.IsOther(key):
		return b.tr("otherASes")
	case dim == analysis.DimASN && key == "AS0":
		return b.tr("unknownAS")
	}
	return analysis.DefaultName(dim, key)
}

// namer is the analysis.Namer of the report: country names from geo,
// everything else as the analysis package shows it.
func namer(dim, key, lang string) string { return period.Names(dim, key, lang) }

// unitName is "packets" / "パケット" or "distinct sources" / "ユニークIP".
func (b *builder) unitName() string {
	if b.opt.Unit == analysis.UnitSources {
		return b.tr("unitSources")
	}
	return b.tr("unitPackets")
}

// perDay is the y-axis caption.
func (b *builder) perDay() string {
	if b.opt.Unit == analysis.UnitSources {
		return b.tr("perDaySources")
	}
	return b.tr("perDayPackets")
}
