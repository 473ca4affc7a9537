package report

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	for k, v := range map[string][2]string{
		"srcPortStudy": {"Source-port study", "送信元ポートの分析"},
		"srcPortText": {"Sources whose scans (TCP SYNs, UDP) came from at most %d distinct source ports on a day, with at least %d packets: %s (source, day) pairs, %s sources. The table ranks them by packets; the chart follows the first with data on several days: the share of its top source port and the share of its top destination port in each day's packets. Ports that rise and fall together point to one scanner bound to a few sockets per target port.",
			"1日の送信元ポートが %d 種類以下で、%d パケット以上を送ったスキャン（TCP SYN、UDP）の送信元：（送信元, 日）の組 %s、送信元 %s。表はパケット数の順。グラフは複数日のデータがある最上位の送信元について、その日のパケットに占める上位の送信元ポートと上位の宛先ポートの割合を示す。両者が連動して増減するのは、宛先ポートごとに少数のソケットを使うスキャナーの特徴である。"},
		"srcPortChart":   {"Top source port vs top destination port of %s", "%s の上位送信元ポートと上位宛先ポート"},
		"srcPortSource":  {"Source", "送信元"},
		"srcPortPorts":   {"Source ports", "送信元ポート数"},
		"srcPortTopSrc":  {"Top source port", "上位送信元ポート"},
		"srcPortTopDst":  {"Top destination port", "上位宛先ポート"},
		"srcPortCorr":    {"Correlation", "相関"},
		"srcPortCut":     {"The histograms of the period exceed the section's limit; the sources past it are left out.", "期間のヒストグラムが上限を超えたため、超えた分の送信元は含めていない。"},
		"srcPortNoChart": {"No source has data on enough days for a correlation.", "相関を求めるのに十分な日数のデータがある送信元はない。"},
	} {
		msgs[k] = v
	}
}

// srcPortLimit bounds the bins the section reads.
const srcPortLimit = 500_000

// srcPortRows is the number of sources the section's table shows.
const srcPortRows = 10

// srcPortSection studies the period's confined-source-port sources
// (package srcports); it is left out when the store keeps none or the
// period has none.
func (b *builder) srcPortSection() {
	sp, err := store.SrcPortsOf(b.st)
	if err != nil {
		return
	}
	r := b.v.Range
	days, err := sp.SrcPortDays(b.ctx, r.From, r.To, b.opt.Sensors)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	pairs := 0
	for _, n := range days {
		pairs += n
	}
	if pairs == 0 {
		return
	}
	// The sources are ranked in the store; only the bins of those the
	// section shows (the table's first and the chart's) are read.
	q := store.SrcPortQuery{From: r.From, To: r.To, Sensors: b.opt.Sensors, Limit: srcPortLimit}
	rk, cut, err := store.RankSrcPorts(b.ctx, sp, q, srcPortRows, srcports.MinCorrDays)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	shown := []netip.Addr{} // not nil: nil would be every source
	long := false           // the chart's source is among those shown
	for i, t := range rk.Top {
		if i < srcPortRows || !long && t.Days >= srcports.MinCorrDays {
			shown = append(shown, t.Src)
			long = long || t.Days >= srcports.MinCorrDays
		}
	}
	q.Srcs = shown
	obs, cutObs, err := sp.SrcPortObs(b.ctx, q)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	cut = cut || cutObs
	by := map[netip.Addr][]srcports.Obs{}
	for _, o := range obs {
		by[o.Src] = append(by[o.Src], o)
	}
	type ranked struct {
		src   netip.Addr
		cc    string
		asn   uint32
		study srcports.Study
	}
	var rs []ranked
	for a, os := range by {
		x := ranked{src: a, study: srcports.NewStudy(os, 0)}
		for _, o := range os {
			if o.Country != "" {
				x.cc = o.Country
			}
			if o.ASN != 0 {
				x.asn = o.ASN
			}
		}
		rs = append(rs, x)
	}
	slices.SortFunc(rs, func(x, y ranked) int {
		return cmp.Or(cmp.Compare(y.study.Packets, x.study.Packets), x.src.Compare(y.src))
	})
	b.d.h2("srcport-study", b.tr("srcPortStudy"))
	b.d.para(fmt.Sprintf(b.tr("srcPortText"), srcports.DefaultK, srcports.DefaultMinPackets, chart.FormatCount(float64(pairs)), chart.FormatCount(float64(rk.Sources))))
	if cut {
		b.d.note(b.tr("srcPortCut"))
	}
	charted := false
	for _, x := range rs {
		if len(x.study.Days) < srcports.MinCorrDays {
			continue
		}
		title := fmt.Sprintf(b.tr("srcPortChart"), x.src)
		c := x.study.Chart(true, b.lang, title)
		c.Width, c.Height = 840, 360
		b.addFig("srcport-study", title, c)
		charted = true
		break
	}
	if !charted {
		b.d.para(b.tr("srcPortNoChart"))
	}
	tab := &table{name: "srcport-study", caption: b.tr("srcPortStudy"),
		numeric: []bool{true, false, false, false, true, true, true, false, false, true},
		head: []string{b.tr("rank"), b.tr("srcPortSource"), b.tr("country"), b.tr("asn"), b.tr("packets"), b.tr("daysSeen"),
			b.tr("srcPortPorts"), b.tr("srcPortTopSrc"), b.tr("srcPortTopDst"), b.tr("srcPortCorr")},
		csvHead: []string{"rank", "src", "country", "asn", "packets", "days", "src_ports", "top_src_port", "top_dst_port", "share_corr"}}
	for i, x := range rs {
		if i == srcPortRows {
			break
		}
		st := x.study
		top := func(ps []srcports.PortCount) string {
			if len(ps) == 0 {
				return ""
			}
			return srcports.PortName(srcports.PortKey{Proto: ps[0].Proto, Port: ps[0].Port})
		}
		corr, corrCSV := "–", ""
		if st.ShareCorr.Valid() {
			corr = strconv.FormatFloat(float64(st.ShareCorr), 'f', 2, 64)
			corrCSV = strconv.FormatFloat(float64(st.ShareCorr), 'f', 4, 64)
		}
		asn := ""
		if x.asn != 0 {
			asn = "AS" + strconv.FormatUint(uint64(x.asn), 10)
		}
		tab.rows = append(tab.rows, []string{strconv.Itoa(i + 1), x.src.String(), strings.TrimSpace(x.cc + " " + geo.CountryName(x.cc, b.lang)), asn,
			chart.FormatCount(float64(st.Packets)), b.dayCount(len(st.Days)), strconv.Itoa(st.DistinctSrc), top(st.Src), top(st.Dst), corr})
		tab.csvRows = append(tab.csvRows, []string{strconv.Itoa(i + 1), x.src.String(), x.cc, strconv.FormatUint(uint64(x.asn), 10),
			strconv.FormatUint(st.Packets, 10), strconv.Itoa(len(st.Days)), strconv.Itoa(st.DistinctSrc), top(st.Src), top(st.Dst), corrCSV})
	}
	b.addTable(tab)
}
