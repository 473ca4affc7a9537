package clickstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Rule sets (store.RuleSetStore): a set's files and rules are written
// first, tagged with an id claimed in rule_set_claims (the first claim of
// an id wins, as for ingest ids), and its rule_sets row last: readers see
// a set whole or not at all. A set left without its row by a crash is
// never read.

var _ store.RuleSetStore = (*Store)(nil)

// AddRuleSet implements store.RuleSetStore.
func (s *Store) AddRuleSet(ctx context.Context, rs store.RuleSet) (store.RuleSet, error) {
	if s.readOnly {
		return rs, errors.New("store opened read-only")
	}
	if rs.Name == "" || rs.Hash == "" {
		return rs, errors.New("rule set: a name and a hash are needed")
	}
	if rs.AdHoc {
		var n uint64
		var id int32
		if err := s.conn.QueryRow(ctx, `SELECT count(), toInt32(max(id)) FROM `+s.db+`.rule_sets WHERE hash = ?`, rs.Hash).Scan(&n, &id); err != nil {
			return rs, fmt.Errorf("add rule set: %w", err)
		}
		if n > 0 {
			return s.RuleSet(ctx, "#"+strconv.Itoa(int(id)))
		}
	}
	id, err := s.claimRuleSetID(ctx)
	if err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	rs.ID = id
	rs.AddedAt = time.Now().UTC().Truncate(time.Microsecond)
	err = s.insert(ctx, `INSERT INTO `+s.db+`.rule_set_files (rule_set, seq, name, text)`, len(rs.Files), func(i int) []any {
		return []any{id, int32(i), rs.Files[i].Name, rs.Files[i].Text}
	})
	if err == nil {
		err = s.insert(ctx, `INSERT INTO `+s.db+`.rule_set_rules (rule_set, gid, sid, rev, msg, classtype)`, len(rs.Rules), func(i int) []any {
			r := &rs.Rules[i]
			return []any{id, r.GID, r.SID, r.Rev, r.Msg, r.Classtype}
		})
	}
	if err == nil {
		from := ""
		if rs.From != 0 {
			from = rs.From.String()
		}
		adHoc := uint8(0)
		if rs.AdHoc {
			adHoc = 1
		}
		err = s.insertRows(ctx, `INSERT INTO `+s.db+`.rule_sets (id, name, version, hash, active_from, sensor, ad_hoc, added_us)`,
			[]any{id, rs.Name, rs.Version, rs.Hash, from, rs.Sensor, adHoc, rs.AddedAt.UnixMicro()})
	}
	if err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	return rs, nil
}

// claimRuleSetID claims the next rule set id.
func (s *Store) claimRuleSetID(ctx context.Context) (int32, error) {
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	for range 100 {
		var top int32
		if err := s.conn.QueryRow(ctx, `SELECT toInt32(max(id)) FROM `+s.db+`.rule_set_claims`).Scan(&top); err != nil {
			return 0, err
		}
		id := top + 1
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.rule_set_claims (id, token, at)`, []any{id, token, time.Now().UTC()}); err != nil {
			return 0, err
		}
		var winner string
		if err := s.conn.QueryRow(ctx, `SELECT token FROM `+s.db+`.rule_set_claims WHERE id = ? ORDER BY at, token LIMIT 1`, id).Scan(&winner); err != nil {
			return 0, err
		}
		if winner == token {
			return id, nil
		}
	}
	return 0, errors.New("claim a rule set id: too many concurrent writers")
}

const ruleSetCols = `id, name, version, hash, active_from, sensor, ad_hoc, added_us`

func scanRuleSet(sc store.Scanner) (store.RuleSet, error) {
	var rs store.RuleSet
	var from string
	var adHoc uint8
	var added int64
	if err := sc.Scan(&rs.ID, &rs.Name, &rs.Version, &rs.Hash, &from, &rs.Sensor, &adHoc, &added); err != nil {
		return rs, err
	}
	if from != "" {
		d, err := civil.Parse(from)
		if err != nil {
			return rs, fmt.Errorf("rule set %d: active from %q: %w", rs.ID, from, err)
		}
		rs.From = d
	}
	rs.AdHoc = adHoc == 1
	rs.AddedAt = time.UnixMicro(added).UTC()
	return rs, nil
}

// RuleSets implements store.RuleSetStore.
func (s *Store) RuleSets(ctx context.Context) ([]store.RuleSet, error) {
	rows, err := s.conn.Query(ctx, `SELECT `+ruleSetCols+` FROM `+s.db+`.rule_sets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("rule sets: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("rule sets", scanRuleSet))
}

// RuleSet implements store.RuleSetStore.
func (s *Store) RuleSet(ctx context.Context, name string) (store.RuleSet, error) {
	q, arg := `SELECT `+ruleSetCols+` FROM `+s.db+`.rule_sets WHERE name = ? ORDER BY id DESC LIMIT 1`, any(name)
	if n, ok := strings.CutPrefix(name, "#"); ok {
		id, err := strconv.Atoi(n)
		if err != nil {
			return store.RuleSet{}, fmt.Errorf("rule set %q: %w", name, store.ErrNoRuleSet)
		}
		q, arg = `SELECT `+ruleSetCols+` FROM `+s.db+`.rule_sets WHERE id = ? LIMIT 1`, int32(id)
	}
	rows, err := s.conn.Query(ctx, q, arg)
	if err != nil {
		return store.RuleSet{}, fmt.Errorf("rule set %q: %w", name, err)
	}
	if !rows.Next() {
		rows.Close()
		if err := rows.Err(); err != nil {
			return store.RuleSet{}, fmt.Errorf("rule set %q: %w", name, err)
		}
		return store.RuleSet{}, fmt.Errorf("rule set %q: %w", name, store.ErrNoRuleSet)
	}
	rs, err := scanRuleSet(rows)
	rows.Close()
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	frows, err := s.conn.Query(ctx, `SELECT name, text FROM `+s.db+`.rule_set_files WHERE rule_set = ? ORDER BY seq`, rs.ID)
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	for frows.Next() {
		var f store.RuleFile
		if err := frows.Scan(&f.Name, &f.Text); err != nil {
			frows.Close()
			return rs, err
		}
		rs.Files = append(rs.Files, f)
	}
	frows.Close()
	rrows, err := s.conn.Query(ctx, `SELECT gid, sid, rev, msg, classtype FROM `+s.db+`.rule_set_rules WHERE rule_set = ? ORDER BY gid, sid`, rs.ID)
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	rs.Rules, err = store.CollectRows(rrows, store.ScanRuleInfo)
	return rs, err
}

// RuleMsgs implements store.RuleSetStore: rules of sets whose row exists.
func (s *Store) RuleMsgs(ctx context.Context) (map[string]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT gid, sid, rev, msg FROM `+s.db+`.rule_set_rules
		WHERE rule_set IN (SELECT id FROM `+s.db+`.rule_sets)`)
	if err != nil {
		return nil, fmt.Errorf("rule msgs: %w", err)
	}
	return store.CollectRuleMsgs(rows)
}
