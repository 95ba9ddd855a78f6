package ec2identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testCA makes a self-signed certificate standing in for the region's
// AWS certificate, and its key.
func testCA(t *testing.T, name string) (*x509.Certificate, *rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

const testDoc = `{
  "accountId" : "123456789012",
  "architecture" : "x86_64",
  "availabilityZone" : "us-east-1a",
  "imageId" : "ami-0abcdef1234567890",
  "instanceId" : "i-0123456789abcdef0",
  "instanceType" : "t3.micro",
  "pendingTime" : "2026-12-06T09:30:00Z",
  "privateIp" : "10.0.0.12",
  "region" : "us-east-1",
  "version" : "2017-09-30"
}`

func TestVerify(t *testing.T) {
	cert, key, certPEM := testCA(t, "aws")
	v, err := NewVerifier(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign([]byte(testDoc), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	id, pending, err := v.Verify([]byte(testDoc), sig)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if id != "i-0123456789abcdef0" || !pending.Equal(time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("got %s %s", id, pending)
	}
	// Without the document: the signature carries it.
	if id, _, err := v.Verify(nil, sig); err != nil || id != "i-0123456789abcdef0" {
		t.Fatalf("verify from the signature alone: %s %v", id, err)
	}
	// PEM-wrapped, as some tools save it.
	der, _ := base64.StdEncoding.DecodeString(string(sig))
	wrapped := pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: der})
	if _, _, err := v.Verify([]byte(testDoc), wrapped); err != nil {
		t.Fatalf("PEM-wrapped: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	cert, key, certPEM := testCA(t, "aws")
	otherCert, otherKey, _ := testCA(t, "attacker")
	v, err := NewVerifier(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	good, err := Sign([]byte(testDoc), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := Sign([]byte(testDoc), otherCert, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(testDoc, "i-0123456789abcdef0", "i-0fffffffffffffff0", 1)
	otherSig, err := Sign([]byte(other), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		doc, sig []byte
		want     string
	}{
		"wrong key":          {[]byte(testDoc), forged, "not signed by the configured AWS certificate"},
		"document swapped":   {[]byte(other), good, "not the one the signature covers"},
		"signature of other": {[]byte(testDoc), otherSig, "not the one the signature covers"},
		"not base64":         {[]byte(testDoc), []byte("%%%"), "not base64"},
		"not pkcs7":          {[]byte(testDoc), []byte(base64.StdEncoding.EncodeToString([]byte("hello"))), "not PKCS7"},
		"empty":              {nil, nil, "not PKCS7"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := v.Verify(tc.doc, tc.sig)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	// A tampered signature byte.
	der, _ := base64.StdEncoding.DecodeString(string(good))
	der[len(der)-5] ^= 0xff
	if _, _, err := v.Verify([]byte(testDoc), []byte(base64.StdEncoding.EncodeToString(der))); err == nil {
		t.Fatal("a tampered signature was accepted")
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	if _, err := NewVerifier([]byte("nope")); err == nil {
		t.Fatal("accepted a non-PEM certificate")
	}
}
