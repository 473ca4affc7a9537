package main

import (
	"fmt"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

// parseUnit reads --unit.
func parseUnit(unit string) (analysis.Unit, error) {
	switch unit {
	case "packets":
		return analysis.UnitPackets, nil
	case "sources":
		return analysis.UnitSources, nil
	}
	return "", fmt.Errorf("--unit %q: want packets or sources", unit)
}

// checkLang checks --lang.
func checkLang(lang string) error {
	if lang != "en" && lang != "ja" {
		return fmt.Errorf("--lang %q: want en or ja", lang)
	}
	return nil
}
