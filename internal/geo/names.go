package geo

import (
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// CountryName returns the name of the country code in the language lang (a
// BCP 47 tag such as "en" or "ja"), e.g. ("JP", "ja") → "日本" and ("JP",
// "en") → "Japan". SpecialCountry and Unknown get "Special-purpose" /
// "特殊用途" and "Unknown" / "不明". Unknown languages fall back to English;
// a code that names no region is returned as it is.
func CountryName(code, lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	base, _ := tag.Base()
	ja := base.String() == "ja"
	switch code {
	case SpecialCountry:
		if ja {
			return "特殊用途"
		}
		return "Special-purpose"
	case Unknown, "":
		if ja {
			return "不明"
		}
		return "Unknown"
	}
	region, err := language.ParseRegion(code)
	if err != nil || !region.IsCountry() && region.String() != "EU" {
		return code
	}
	namer := display.Regions(tag)
	if namer == nil {
		namer = display.Regions(language.English)
	}
	if name := namer.Name(region); name != "" {
		return name
	}
	return code
}
