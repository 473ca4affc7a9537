package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// rsaBits is the size of a generated RSA host key.
const rsaBits = 2048

// hostKeys loads the host keys kept at path (PEM blocks in OpenSSH private
// key format), or generates an ed25519 and an RSA key and stores them there
// (mode 0600, written to a temporary file and renamed). An empty path
// generates keys in memory only.
func hostKeys(path string) ([]ssh.Signer, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		if err == nil {
			return parseHostKeys(path, data)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sshd host key %s: %w", path, err)
		}
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sshd host key: %w", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("sshd host key: %w", err)
	}
	var signers []ssh.Signer
	var file []byte
	for _, k := range []any{edKey, rsaKey} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			return nil, fmt.Errorf("sshd host key: %w", err)
		}
		signers = append(signers, s)
		if path != "" {
			block, err := ssh.MarshalPrivateKey(k, "")
			if err != nil {
				return nil, fmt.Errorf("sshd host key: %w", err)
			}
			file = append(file, pem.EncodeToMemory(block)...)
		}
	}
	if path != "" {
		if err := writePrivate(path, file); err != nil {
			return nil, fmt.Errorf("sshd host key %s: %w", path, err)
		}
	}
	return signers, nil
}

func parseHostKeys(path string, data []byte) ([]ssh.Signer, error) {
	var signers []ssh.Signer
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		s, err := ssh.ParsePrivateKey(pem.EncodeToMemory(block))
		if err != nil {
			return nil, fmt.Errorf("sshd host key %s: key %d: %w", path, n, err)
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("sshd host key %s: no PEM private key in the file", path)
	}
	return signers, nil
}

// writePrivate writes data to path with mode 0600 through a temporary file
// in the same directory.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".hostkey-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
