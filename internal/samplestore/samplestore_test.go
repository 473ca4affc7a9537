package samplestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// elf builds the first bytes of a little-endian 32-bit ARM ELF file
// followed by filler: a stand-in for a dropped binary, not a program.
func elf(filler string) []byte {
	b := make([]byte, 52)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 1, 1, 1
	b[18] = 40
	return append(b, filler...)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPutLayoutAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "samples")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	content := elf("payload")
	sha, err := s.Put(content)
	if err != nil {
		t.Fatal(err)
	}
	if sha != sum(content) {
		t.Fatalf("Put returned %s, want %s", sha, sum(content))
	}
	want := filepath.Join(dir, sha[:2], sha[2:4], sha)
	p, err := s.Path(sha)
	if err != nil || p != want {
		t.Fatalf("Path = %q, %v; want %q", p, err, want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o400 {
		t.Errorf("sample mode %v, want 0400", m)
	}
	if fi.Mode().Perm()&0o111 != 0 {
		t.Errorf("sample has an execute bit: %v", fi.Mode())
	}
	for _, d := range []string{dir, filepath.Dir(filepath.Dir(want)), filepath.Dir(want)} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o700 {
			t.Errorf("directory %s mode %v, want 0700", d, m)
		}
	}
	if !s.Has(sha) || !s.Has(strings.ToUpper(sha)) {
		t.Error("Has is false for a stored sample")
	}
	got, err := s.Read(sha, 0)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestSameContentOneFile(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Put([]byte("#!/bin/sh\necho hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path(a)
	before, _ := os.Stat(p)
	b, err := s.Put([]byte("#!/bin/sh\necho hi\n"))
	if err != nil || a != b {
		t.Fatalf("second Put = %s, %v; want %s", b, err, a)
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) {
		t.Error("the second Put of the same content replaced the file")
	}
	r, err := s.Scan(true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Samples != 1 || len(r.Corrupt) != 0 || len(r.Stray) != 0 {
		t.Errorf("Scan = %+v, want one sample", r)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := s.Put(elf(strings.Repeat("x", i%4))); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r, err := s.Scan(true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Samples != 4 || r.TempsRemoved != 0 || len(r.Corrupt) != 0 {
		t.Errorf("Scan = %+v, want 4 samples", r)
	}
}

func TestSizeBound(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(make([]byte, 101)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put of 101 bytes with bound 100: %v, want ErrTooLarge", err)
	}
	if _, err := s.Put(make([]byte, 100)); err != nil {
		t.Fatalf("Put of 100 bytes with bound 100: %v", err)
	}
	r, _ := s.Scan(false)
	if r.Samples != 1 {
		t.Errorf("%d samples stored, want 1 (the rejected one must leave nothing)", r.Samples)
	}
	d, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.MaxSize() != 32<<20 {
		t.Errorf("default bound %d, want 32 MiB", d.MaxSize())
	}
	if _, err := d.Put(make([]byte, 32<<20+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put over 32 MiB: %v, want ErrTooLarge", err)
	}
}

func TestReadBound(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sha, err := s.Put(make([]byte, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(sha, 999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read with max 999 of a 1000-byte sample: %v, want ErrTooLarge", err)
	}
	if b, err := s.Read(sha, 1000); err != nil || len(b) != 1000 {
		t.Errorf("Read with max 1000: %d bytes, %v", len(b), err)
	}
	if _, err := s.Read(sum([]byte("absent")), 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Read of an absent sample: %v, want ErrNotFound", err)
	}
}

func TestDigestValidation(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := sum([]byte("x"))
	bad := []string{
		"", "abc", good[:63], good + "0", "../../../../etc/passwd",
		strings.Repeat("g", 64), "/" + good[1:], good[:30] + "/../" + good[34:],
		strings.Repeat("a", 62) + "\x00a", strings.Repeat(".", 64),
	}
	for _, b := range bad {
		if _, err := s.Path(b); !errors.Is(err, ErrBadDigest) {
			t.Errorf("Path(%q): %v, want ErrBadDigest", b, err)
		}
		if s.Has(b) {
			t.Errorf("Has(%q) is true", b)
		}
		if _, err := s.Read(b, 0); !errors.Is(err, ErrBadDigest) {
			t.Errorf("Read(%q): %v, want ErrBadDigest", b, err)
		}
		if RelPath(b) != "" {
			t.Errorf("RelPath(%q) = %q", b, RelPath(b))
		}
	}
	if _, err := s.Path(good); err != nil {
		t.Errorf("Path of a valid digest: %v", err)
	}
}

// TestCrashLeavesNoSample simulates a kill -9 between writing the temporary
// file and renaming it: the sample must not exist under its name, and the
// next Open removes the leftover.
func TestCrashLeavesNoSample(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	content := elf("half-written")
	sha := sum(content)
	if err := s.mkdirs(sha); err != nil {
		t.Fatal(err)
	}
	final, _ := s.Path(sha)
	tmp := filepath.Join(filepath.Dir(final), tempPrefix+"12345")
	if err := os.WriteFile(tmp, content[:20], 0o400); err != nil { // cut short, never renamed
		t.Fatal(err)
	}
	if s.Has(sha) {
		t.Fatal("a sample that was never renamed is visible")
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(tmp); !os.IsNotExist(err) {
		t.Fatalf("Open left the temporary file: %v", err)
	}
	if s2.Has(sha) {
		t.Fatal("the sample exists after cleanup")
	}
	got, err := s2.Put(content)
	if err != nil || got != sha {
		t.Fatalf("Put after crash = %s, %v", got, err)
	}
	r, err := s2.Scan(true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Samples != 1 || len(r.Corrupt) != 0 {
		t.Errorf("Scan after recovery = %+v", r)
	}
}

func TestScanFindsCorruptAndStray(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sha, err := s.Put([]byte("#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path(sha)
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, []byte("#!/bin/sX\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	r, err := s.Scan(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Corrupt) != 1 || r.Corrupt[0] != sha {
		t.Errorf("Corrupt = %v, want [%s]", r.Corrupt, sha)
	}
	if len(r.Stray) != 1 || r.Stray[0] != "notes.txt" {
		t.Errorf("Stray = %v, want [notes.txt]", r.Stray)
	}
	if r.Samples != 0 {
		t.Errorf("Samples = %d, want 0", r.Samples)
	}
	// A Put of the true content replaces the damaged file.
	if _, err := s.Put([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Scan(true); len(r.Corrupt) != 0 || r.Samples != 1 {
		t.Errorf("after Put of the true content: %+v, want one good sample", r)
	}
}

func TestOpenRefusesFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(f, Options{}); err == nil {
		t.Fatal("Open of a regular file succeeded")
	}
}
