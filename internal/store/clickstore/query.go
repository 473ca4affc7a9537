package clickstore

import (
	"fmt"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// cond collects a WHERE clause and its arguments.
type cond struct {
	parts []string
	args  []any
}

func (c *cond) add(sql string, args ...any) {
	c.parts = append(c.parts, sql)
	c.args = append(c.args, args...)
}

// in adds "col IN (?, ...)" for a non-empty list.
func in[T any](c *cond, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	a := make([]any, len(vals))
	for i, v := range vals {
		a[i] = v
	}
	c.add(col+" IN ("+placeholders(len(a))+")", a...)
}

// days adds inclusive days [from, to].
func (c *cond) days(col string, from, to civil.Day) {
	c.add(col+" >= toDate(?) AND "+col+" <= toDate(?)", from.String(), to.String())
}

func (c *cond) where() string {
	if len(c.parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.parts, " AND ")
}

// visibleCond starts a condition with the committed ingests.
func (s *Store) visibleCond() *cond {
	return &cond{parts: []string{"ingest_id IN " + s.visible()}}
}

// classJoin is the class names a row's classes column carries, one row
// each (the class_hits view of the DuckDB store). It is spelled without
// a lambda: 18.16 cannot capture a column in one next to aggregates.
func classJoin() string {
	var parts []string
	for c := classify.Class(0); c < classify.NumClasses; c++ {
		parts = append(parts, fmt.Sprintf("if(bitAnd(classes, %d) != 0, ['%s'], emptyArrayString())", c.Bit(), c.String()))
	}
	return "arrayJoin(arrayConcat(" + strings.Join(parts, ", ") + "))"
}

// classBit returns the bit of a class, or an error naming the classes.
func classBit(c string) (int, error) {
	cl, ok := classify.ParseClass(c)
	if !ok {
		return 0, fmt.Errorf("unknown class %q (one of %s)", c, strings.Join(classify.Names(), ", "))
	}
	return int(cl.Bit()), nil
}

// classOrder is the display position of a class (unknown names last).
func classOrder(name string) int {
	if c, ok := classify.ParseClass(name); ok {
		return int(c)
	}
	return int(classify.NumClasses)
}

// protoSQL names a protocol as store.ProtoName does.
const protoSQL = `transform(proto, [1, 6, 17, 58, 47], ['icmp', 'tcp', 'udp', 'icmpv6', 'gre'], toString(proto))`

// quote is a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

var _ store.Store = (*Store)(nil)
