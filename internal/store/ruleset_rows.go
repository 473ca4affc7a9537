package store

import "fmt"

// What the backends make of the rows of their rule set tables.

// ScanRuleInfo scans a rule of a rule set: gid, sid, rev, msg, classtype.
func ScanRuleInfo(sc Scanner) (RuleInfo, error) {
	var r RuleInfo
	err := sc.Scan(&r.GID, &r.SID, &r.Rev, &r.Msg, &r.Classtype)
	return r, err
}

// CollectRuleMsgs returns the messages of rows of gid, sid, rev and msg by
// "gid:sid:rev" (RuleSetStore.RuleMsgs), and closes rows. The first error
// of a scan comes back as it is, with no messages; else the messages come
// with rows.Err().
func CollectRuleMsgs(rows Rows) (map[string]string, error) {
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var g, sid, rev uint32
		var msg string
		if err := rows.Scan(&g, &sid, &rev, &msg); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("%d:%d:%d", g, sid, rev)] = msg
	}
	return out, rows.Err()
}
