package httpd

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Names of the cached certificate files in Config.CertDir.
const (
	certFile = "cert.pem"
	keyFile  = "key.pem"
)

// DefaultCertName is the common name of a generated certificate: the name
// IP cameras commonly put in theirs.
const DefaultCertName = "IPCamera"

// certificate loads the certificate cached in dir, or generates a
// self-signed one for name (cached in dir when dir is not empty; the key is
// written with mode 0600).
func certificate(dir, name string, now time.Time) (tls.Certificate, error) {
	if dir != "" {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
		if err == nil {
			return cert, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return tls.Certificate{}, fmt.Errorf("httpd certificate in %s: %w", dir, err)
		}
	}
	certPEM, keyPEM, err := selfSigned(name, now)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("httpd certificate: %w", err)
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return tls.Certificate{}, fmt.Errorf("httpd certificate: %w", err)
		}
		if err := writeFile(filepath.Join(dir, keyFile), keyPEM, 0o600); err != nil {
			return tls.Certificate{}, fmt.Errorf("httpd certificate: %w", err)
		}
		if err := writeFile(filepath.Join(dir, certFile), certPEM, 0o644); err != nil {
			return tls.Certificate{}, fmt.Errorf("httpd certificate: %w", err)
		}
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// selfSigned makes an RSA-2048 certificate for name, issued by itself, as
// embedded devices make theirs on first boot: valid from a year ago for
// twenty years.
func selfSigned(name string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, nil, err
	}
	subject := pkix.Name{CommonName: name, Organization: []string{name}, Country: []string{"CN"}}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		Issuer:                subject,
		NotBefore:             now.AddDate(-1, 0, 0).Truncate(24 * time.Hour),
		NotAfter:              now.AddDate(19, 0, 0).Truncate(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeFile writes data to path with mode perm through a temporary file in
// the same directory.
func writeFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
