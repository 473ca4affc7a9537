package duckstore

import (
	"fmt"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// readSensorFilter returns " AND <col> IN (?, ...)" and its arguments, or
// nothing when every sensor is selected.
func readSensorFilter(col string, sensors []string) (string, []any) {
	if len(sensors) == 0 {
		return "", nil
	}
	args := make([]any, len(sensors))
	for i, s := range sensors {
		args[i] = s
	}
	return " AND " + col + " IN (" + placeholders(len(args)) + ")", args
}

// readDayArg is a day as a query argument (with CAST(? AS DATE)).
func readDayArg(d civil.Day) string { return d.String() }

// readDays returns " h.day BETWEEN ... AND ..." with its arguments.
func readDays(col string, from, to civil.Day) (string, []any) {
	return " " + col + " BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)", []any{readDayArg(from), readDayArg(to)}
}

// readCheckClasses checks class names.
func readCheckClasses(classes []string) error {
	for _, c := range classes {
		if _, ok := classify.ParseClass(c); !ok {
			return fmt.Errorf("unknown class %q (one of %s)", c, strings.Join(classify.Names(), ", "))
		}
	}
	return nil
}

// readClassBit returns the bit of a class known to exist.
func readClassBit(c string) int {
	cl, _ := classify.ParseClass(c)
	return int(cl.Bit())
}

// readClassJoin joins hits with the classes each row carries. It is the
// class_hits view spelled out, so that filters on class names reach the
// join.
const readClassJoin = ` FROM hits h JOIN classes c ON (h.classes & c.bit) <> 0 `

// readPortClassJoin is readClassJoin for questions that need neither the source
// address nor its country or AS: port_hits has the source key, so the
// sources table is not joined.
const readPortClassJoin = ` FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0 `

// readSourceClassJoin is readClassJoin over the sources table: country and AS
// belong to a source-day, and its classes column is the OR over the
// source-day's packets, so distinct sources by them come from there.
const readSourceClassJoin = ` FROM sources h JOIN classes c ON (h.classes & c.bit) <> 0 `
