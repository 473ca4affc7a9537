package srcports

import (
	"fmt"
	"math"
	"time"

	"github.com/honeyscope/honeyscope/internal/chart"
)

// Series colours: source ports orange, destination ports blue.
const (
	srcColor = "#e8710a"
	dstColor = "#1a73e8"
)

// MaxChartDays bounds the days a study's chart spans.
const MaxChartDays = 3660

// Chart draws the study over its days as two lines: the packets from its
// top source port and to its top destination port, or (share) their shares
// of each day's packets. Days between the first and last without data are
// gaps. lang is "ja" for Japanese labels.
func (s Study) Chart(share bool, lang, title string) *chart.LineChart {
	c := &chart.LineChart{Title: title, Lang: lang}
	if len(s.Days) == 0 {
		return c
	}
	first, last := s.Days[0].Day, s.Days[len(s.Days)-1].Day
	if last.Sub(first) >= MaxChartDays {
		first = last.AddDays(-(MaxChartDays - 1))
	}
	n := last.Sub(first) + 1
	c.Days = make([]time.Time, n)
	c.Gaps = make([]bool, n)
	sv, dv := make([]float64, n), make([]float64, n)
	for i := range n {
		c.Days[i] = first.AddDays(i).Time()
		c.Gaps[i] = true
		sv[i], dv[i] = math.NaN(), math.NaN()
	}
	for _, d := range s.Days {
		i := d.Day.Sub(first)
		if i < 0 {
			continue
		}
		c.Gaps[i] = false
		if share {
			sv[i], dv[i] = 100*d.SrcShare, 100*d.DstShare
		} else {
			sv[i], dv[i] = float64(d.SrcTop), float64(d.DstTop)
		}
	}
	srcLabel, dstLabel := "source port", "destination port"
	if lang == "ja" {
		srcLabel, dstLabel = "送信元ポート", "宛先ポート"
	}
	if len(s.Src) > 0 {
		srcLabel += " " + portName(s.Src[0].Proto, s.Src[0].Port)
	}
	if len(s.Dst) > 0 {
		dstLabel += " " + portName(s.Dst[0].Proto, s.Dst[0].Port)
	}
	c.Series = []chart.Series{
		{Key: "src", Label: srcLabel, Values: sv, Color: srcColor},
		{Key: "dst", Label: dstLabel, Values: dv, Color: dstColor},
	}
	switch {
	case share && lang == "ja":
		c.YLabel, c.Unit = "その日のパケットに占める割合 (%)", "%"
	case share:
		c.YLabel, c.Unit = "share of the day's packets (%)", "%"
	case lang == "ja":
		c.YLabel, c.Unit = "パケット数", ""
	default:
		c.YLabel, c.Unit = "packets", ""
	}
	if share {
		c.YMax = 100
	}
	c.Subtitle = s.subtitle(lang)
	return c
}

func (s Study) subtitle(lang string) string {
	corr := "–"
	if s.ShareCorr.Valid() {
		corr = fmt.Sprintf("%.2f", float64(s.ShareCorr))
	}
	if lang == "ja" {
		conf := "限られていない"
		if s.Confined {
			conf = "限られている"
		}
		return fmt.Sprintf("送信元 %d、送信元ポート %d 種類 (%d 以下に%s)、割合の相関 %s", s.Sources, s.DistinctSrc, s.K, conf, corr)
	}
	conf := "not confined"
	if s.Confined {
		conf = "confined"
	}
	return fmt.Sprintf("%d sources, %d distinct source ports (%s to ≤ %d), correlation of the shares %s", s.Sources, s.DistinctSrc, conf, s.K, corr)
}

// portName is "23/tcp".
func portName(proto uint8, port uint16) string {
	switch proto {
	case 6:
		return fmt.Sprintf("%d/tcp", port)
	case 17:
		return fmt.Sprintf("%d/udp", port)
	}
	return fmt.Sprintf("%d", port)
}

// PortName is a port as "23/tcp" or "53/udp".
func PortName(k PortKey) string { return portName(k.Proto, k.Port) }
