package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// ruleSetSchema is migration 7: stored rule sets (their files as text),
// the rules they hold (to name exploit hits), and the rule set of each
// ingest (NULL: the built-in rules alone).
var ruleSetSchema = []string{
	`CREATE SEQUENCE IF NOT EXISTS rule_set_ids START 1`,
	`CREATE TABLE IF NOT EXISTS rule_sets (
		id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, version VARCHAR, hash VARCHAR NOT NULL,
		active_from DATE, sensor VARCHAR, ad_hoc BOOLEAN, added_at TIMESTAMP)`,
	`CREATE TABLE IF NOT EXISTS rule_set_files (
		rule_set INTEGER, seq INTEGER, name VARCHAR, text VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS rule_set_rules (
		rule_set INTEGER, gid UINTEGER, sid UINTEGER, rev UINTEGER, msg VARCHAR, classtype VARCHAR)`,
	`ALTER TABLE ingests ADD COLUMN rule_set INTEGER`,
}

func ruleSetValue(id int32) any {
	if id == 0 {
		return nil
	}
	return id
}

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
		var id int32
		err := s.db.QueryRowContext(ctx, `SELECT max(id) FROM rule_sets WHERE hash = ?`, rs.Hash).Scan(&id)
		if err == nil && id != 0 {
			return s.RuleSet(ctx, "#"+strconv.Itoa(int(id)))
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT nextval('rule_set_ids')`).Scan(&rs.ID); err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	rs.AddedAt = time.Now().UTC().Truncate(time.Microsecond)
	var from any
	if rs.From != 0 {
		from = rs.From.Time()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rule_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rs.ID, rs.Name, rs.Version, rs.Hash, from, rs.Sensor, rs.AdHoc, rs.AddedAt); err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	for i, f := range rs.Files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rule_set_files VALUES (?, ?, ?, ?)`, rs.ID, i, f.Name, f.Text); err != nil {
			return rs, fmt.Errorf("add rule set: %w", err)
		}
	}
	if len(rs.Rules) > 0 {
		var b strings.Builder
		args := make([]any, 0, 6*min(len(rs.Rules), 500))
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO rule_set_rules VALUES `+strings.TrimSuffix(b.String(), ","), args...)
			b.Reset()
			args = args[:0]
			return err
		}
		for _, r := range rs.Rules {
			b.WriteString("(?, ?, ?, ?, ?, ?),")
			args = append(args, rs.ID, r.GID, r.SID, r.Rev, r.Msg, r.Classtype)
			if len(args) >= 6*500 {
				if err := flush(); err != nil {
					return rs, fmt.Errorf("add rule set: %w", err)
				}
			}
		}
		if err := flush(); err != nil {
			return rs, fmt.Errorf("add rule set: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return rs, fmt.Errorf("add rule set: %w", err)
	}
	return rs, nil
}

const ruleSetCols = `id, name, coalesce(version, ''), hash, active_from, coalesce(sensor, ''), coalesce(ad_hoc, false), added_at`

func scanRuleSet(sc store.Scanner) (store.RuleSet, error) {
	var rs store.RuleSet
	var from sql.NullTime
	var added sql.NullTime
	if err := sc.Scan(&rs.ID, &rs.Name, &rs.Version, &rs.Hash, &from, &rs.Sensor, &rs.AdHoc, &added); err != nil {
		return rs, err
	}
	if from.Valid {
		rs.From = civil.Of(from.Time)
	}
	rs.AddedAt = added.Time
	return rs, nil
}

// RuleSets implements store.RuleSetStore.
func (s *Store) RuleSets(ctx context.Context) ([]store.RuleSet, error) {
	defer s.took("RuleSets", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT `+ruleSetCols+` FROM rule_sets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("rule sets: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("rule sets", scanRuleSet))
}

// RuleSet implements store.RuleSetStore.
func (s *Store) RuleSet(ctx context.Context, name string) (store.RuleSet, error) {
	defer s.took("RuleSet", time.Now())
	q, arg := `SELECT `+ruleSetCols+` FROM rule_sets WHERE name = ? ORDER BY id DESC LIMIT 1`, any(name)
	if n, ok := strings.CutPrefix(name, "#"); ok {
		id, err := strconv.Atoi(n)
		if err != nil {
			return store.RuleSet{}, fmt.Errorf("rule set %q: %w", name, store.ErrNoRuleSet)
		}
		q, arg = `SELECT `+ruleSetCols+` FROM rule_sets WHERE id = ?`, id
	}
	rs, err := scanRuleSet(s.db.QueryRowContext(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return rs, fmt.Errorf("rule set %q: %w", name, store.ErrNoRuleSet)
	}
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, text FROM rule_set_files WHERE rule_set = ? ORDER BY seq`, rs.ID)
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	for rows.Next() {
		var f store.RuleFile
		if err := rows.Scan(&f.Name, &f.Text); err != nil {
			rows.Close()
			return rs, err
		}
		rs.Files = append(rs.Files, f)
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT gid, sid, rev, coalesce(msg, ''), coalesce(classtype, '') FROM rule_set_rules WHERE rule_set = ? ORDER BY gid, sid`, rs.ID)
	if err != nil {
		return rs, fmt.Errorf("rule set %q: %w", name, err)
	}
	rs.Rules, err = store.CollectRows(rows, store.ScanRuleInfo)
	return rs, err
}

// RuleMsgs implements store.RuleSetStore.
func (s *Store) RuleMsgs(ctx context.Context) (map[string]string, error) {
	defer s.took("RuleMsgs", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT gid, sid, rev, coalesce(msg, '') FROM rule_set_rules`)
	if err != nil {
		return nil, fmt.Errorf("rule msgs: %w", err)
	}
	return store.CollectRuleMsgs(rows)
}
