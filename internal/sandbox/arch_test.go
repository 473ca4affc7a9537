package sandbox

import (
	"errors"
	"testing"
)

// elfHeader builds the first 20 bytes of an ELF header.
func elfHeader(class, data byte, machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = class, data, 1
	if data == 1 {
		h[18], h[19] = byte(machine), byte(machine>>8)
	} else {
		h[18], h[19] = byte(machine>>8), byte(machine)
	}
	return h
}

func TestDetectArch(t *testing.T) {
	for _, c := range []struct {
		class, data byte
		machine     uint16
		want        string
	}{
		{1, 1, emARM, "arm"},
		{1, 2, emARM, "armeb"},
		{2, 1, emAARCH64, "aarch64"},
		{1, 2, emMIPS, "mips"},
		{1, 1, emMIPS, "mipsel"},
		{2, 2, emMIPS, "mips64"},
		{1, 1, em386, "i386"},
		{2, 1, emX8664, "x86_64"},
		{1, 2, emPPC, "powerpc"},
		{2, 1, emPPC64, "powerpc64le"},
		{1, 1, emSH, "sh4"},
		{1, 2, em68K, "m68k"},
	} {
		a, err := DetectArch(elfHeader(c.class, c.data, c.machine))
		if err != nil || a.Name != c.want {
			t.Errorf("class %d data %d machine %d: %+v, %v; want %s", c.class, c.data, c.machine, a, err, c.want)
		}
		if a.Qemu == "" {
			t.Errorf("%s: no emulator name", c.want)
		}
	}
	if _, err := DetectArch([]byte("#!/bin/sh\necho hi\n....")); !errors.Is(err, ErrNotELF) {
		t.Errorf("a script: %v", err)
	}
	if _, err := DetectArch(elfHeader(3, 1, emARM)); err == nil {
		t.Error("class 3 accepted")
	}
	if _, err := DetectArch(elfHeader(1, 1, 0xbeef)); err == nil {
		t.Error("an unknown machine accepted")
	}
	if _, err := DetectArch(elfHeader(1, 1, emARM)[:19]); !errors.Is(err, ErrNotELF) {
		t.Errorf("a short header: %v", err)
	}
	for _, alias := range []string{"armhf", "mipsle", "386", "amd64", "arm64"} {
		if _, err := ArchByName(alias); err != nil {
			t.Errorf("%s: %v", alias, err)
		}
	}
	if _, err := ArchByName("vax"); err == nil {
		t.Error("vax accepted")
	}
}

func FuzzDetectArch(f *testing.F) {
	f.Add(elfHeader(1, 1, emARM))
	f.Add(elfHeader(2, 2, emMIPS))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DetectArch(b)
		if err == nil {
			if _, err := ArchByName(a.Name); err != nil {
				t.Fatalf("DetectArch gave %q, which ArchByName refuses", a.Name)
			}
		}
	})
}
