package sampleimport

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Encrypted zip members, as malware repositories export them: the
// traditional PKWARE encryption ("ZipCrypto", general purpose flag bit 0)
// and WinZip's AES (method 99 with the 0x9901 extra field, AE-1 and AE-2,
// 128, 192 or 256-bit keys). Both are read from the member's raw bytes
// (zip.File.OpenRaw), decrypted in memory and inflated with a bound.

// ErrPassword is returned for a member the password does not open.
var ErrPassword = errors.New("wrong password")

const methodAES = 99

// aesExtra is the 0x9901 extra field.
type aesExtra struct {
	version  uint16 // 1: AE-1 (CRC kept), 2: AE-2 (CRC zero)
	strength byte   // 1, 2, 3: 128, 192, 256-bit keys
	method   uint16 // the real compression method
}

func parseAESExtra(extra []byte) (aesExtra, bool) {
	for len(extra) >= 4 {
		id, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+n {
			return aesExtra{}, false
		}
		if id == 0x9901 && n >= 7 {
			d := extra[4:]
			return aesExtra{binary.LittleEndian.Uint16(d), d[4], binary.LittleEndian.Uint16(d[5:])}, true
		}
		extra = extra[4+n:]
	}
	return aesExtra{}, false
}

// readEncrypted returns the content of an encrypted member, at most max
// bytes (ErrTooLarge beyond).
func readEncrypted(f *zip.File, password string, max int64) ([]byte, error) {
	if f.CompressedSize64 > uint64(max)+(1<<20) {
		return nil, fmt.Errorf("%w: %d compressed bytes", errTooLarge, f.CompressedSize64)
	}
	rr, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(rr, int64(f.CompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(raw)) != f.CompressedSize64 {
		return nil, errors.New("member shorter than its header says")
	}
	method := f.Method
	checkCRC := true
	var data []byte
	if f.Method == methodAES {
		ex, ok := parseAESExtra(f.Extra)
		if !ok {
			return nil, errors.New("AES member without its 0x9901 extra field")
		}
		data, err = decryptAES(raw, password, ex.strength)
		if err != nil {
			return nil, err
		}
		method, checkCRC = ex.method, ex.version == 1
	} else {
		check := byte(f.CRC32 >> 24)
		if f.Flags&0x8 != 0 {
			check = byte(f.ModifiedTime >> 8)
		}
		data, err = decryptZipCrypto(raw, password, check)
		if err != nil {
			return nil, err
		}
	}
	out, err := inflate(method, data, max)
	if err != nil {
		return nil, err
	}
	if checkCRC && crc32.ChecksumIEEE(out) != f.CRC32 {
		if f.Method != methodAES {
			// ZipCrypto's header check passes for 1 wrong password in 256.
			return nil, ErrPassword
		}
		return nil, errors.New("checksum mismatch")
	}
	return out, nil
}

// inflate decompresses a member's data with method (0: stored, 8:
// deflate), at most max bytes.
func inflate(method uint16, data []byte, max int64) ([]byte, error) {
	var r io.Reader
	switch method {
	case zip.Store:
		r = bytes.NewReader(data)
	case zip.Deflate:
		fr := flate.NewReader(bytes.NewReader(data))
		defer fr.Close()
		r = fr
	default:
		return nil, fmt.Errorf("compression method %d not supported", method)
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes uncompressed", errTooLarge, max)
	}
	return out, nil
}

// zipCrypto is the traditional PKWARE stream cipher.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

var crcTable = crc32.MakeTable(crc32.IEEE)

func crcByte(crc uint32, b byte) uint32 { return crc>>8 ^ crcTable[byte(crc)^b] }

func (z *zipCrypto) update(p byte) {
	z.k0 = crcByte(z.k0, p)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crcByte(z.k2, byte(z.k1>>24))
}

func (z *zipCrypto) stream() byte {
	t := uint16(z.k2 | 2)
	return byte(uint32(t) * uint32(t^1) >> 8)
}

func (z *zipCrypto) decrypt(b []byte) {
	for i := range b {
		b[i] ^= z.stream()
		z.update(b[i])
	}
}

func (z *zipCrypto) encrypt(b []byte) {
	for i := range b {
		p := b[i]
		b[i] ^= z.stream()
		z.update(p)
	}
}

func decryptZipCrypto(raw []byte, password string, check byte) ([]byte, error) {
	if len(raw) < 12 {
		return nil, errors.New("encrypted member shorter than its 12-byte header")
	}
	z := newZipCrypto(password)
	buf := bytes.Clone(raw)
	z.decrypt(buf)
	if buf[11] != check {
		return nil, ErrPassword
	}
	return buf[12:], nil
}

// aesKeyLen is the key length of a WinZip AES strength.
func aesKeyLen(strength byte) int {
	switch strength {
	case 1:
		return 16
	case 2:
		return 24
	case 3:
		return 32
	}
	return 0
}

// winzipKeys derives the AES key, the HMAC key and the 2-byte password
// verifier: PBKDF2-HMAC-SHA1, 1000 iterations.
func winzipKeys(password string, salt []byte, n int) (aesKey, macKey, verifier []byte, err error) {
	dk, err := pbkdf2.Key(sha1.New, password, salt, 1000, 2*n+2)
	if err != nil {
		return nil, nil, nil, err
	}
	return dk[:n], dk[n : 2*n], dk[2*n:], nil
}

// winzipCTR is AES in counter mode with WinZip's counter: a 16-byte
// little-endian integer starting at 1.
func winzipCTR(key, data []byte) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	var ctr, ks [16]byte
	for off := 0; off < len(data); off += 16 {
		for i := range ctr { // increment, little-endian
			ctr[i]++
			if ctr[i] != 0 {
				break
			}
		}
		block.Encrypt(ks[:], ctr[:])
		subtle.XORBytes(data[off:min(off+16, len(data))], data[off:min(off+16, len(data))], ks[:])
	}
	return nil
}

func decryptAES(raw []byte, password string, strength byte) ([]byte, error) {
	n := aesKeyLen(strength)
	if n == 0 {
		return nil, fmt.Errorf("AES strength %d unknown", strength)
	}
	saltLen := n / 2
	if len(raw) < saltLen+2+10 {
		return nil, errors.New("AES member too short")
	}
	salt, pv := raw[:saltLen], raw[saltLen:saltLen+2]
	enc, mac := raw[saltLen+2:len(raw)-10], raw[len(raw)-10:]
	aesKey, macKey, verifier, err := winzipKeys(password, salt, n)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(pv, verifier) != 1 {
		return nil, ErrPassword
	}
	h := hmac.New(sha1.New, macKey)
	h.Write(enc)
	if !hmac.Equal(h.Sum(nil)[:10], mac) {
		return nil, errors.New("AES authentication code mismatch (damaged member or wrong password)")
	}
	data := bytes.Clone(enc)
	if err := winzipCTR(aesKey, data); err != nil {
		return nil, err
	}
	return data, nil
}
