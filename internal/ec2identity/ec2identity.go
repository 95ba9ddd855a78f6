// Package ec2identity verifies EC2 instance identity documents: the JSON
// document an instance reads from its metadata service, and the PKCS7
// signature AWS makes over it (IMDS's /latest/dynamic/instance-identity/
// rsa2048, checked against the region's AWS RSA-2048 certificate).
//
// Only what that signature uses is read: a PKCS7 SignedData with one or
// more signer infos, with or without authenticated attributes, signed with
// RSA over SHA-1, SHA-256 or SHA-512.
package ec2identity

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"time"
)

// Document is the part of an instance identity document the master uses.
type Document struct {
	InstanceID       string    `json:"instanceId"`
	AccountID        string    `json:"accountId"`
	Region           string    `json:"region"`
	AvailabilityZone string    `json:"availabilityZone"`
	ImageID          string    `json:"imageId"`
	InstanceType     string    `json:"instanceType"`
	PendingTime      time.Time `json:"pendingTime"`
}

// Verifier checks signatures with one AWS certificate.
type Verifier struct {
	key *rsa.PublicKey
}

// NewVerifier reads the AWS certificate (PEM) that signs the region's
// identity documents.
func NewVerifier(certPEM []byte) (*Verifier, error) {
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the certificate's key is %s, not RSA: use the region's RSA-2048 certificate", cert.PublicKeyAlgorithm)
	}
	return &Verifier{key: key}, nil
}

// Verify checks sig (the base64 PKCS7 IMDS serves, PEM-wrapped or not)
// over doc and returns the verified document's instance id and
// pendingTime. The document signed is the one inside the signature when
// it carries one; doc, if given, must then be the same.
func (v *Verifier) Verify(doc, sig []byte) (string, time.Time, error) {
	d, err := v.VerifyDocument(doc, sig)
	if err != nil {
		return "", time.Time{}, err
	}
	return d.InstanceID, d.PendingTime, nil
}

// VerifyDocument is Verify returning the whole document.
func (v *Verifier) VerifyDocument(doc, sig []byte) (*Document, error) {
	der, err := decodeSignature(sig)
	if err != nil {
		return nil, err
	}
	sd, err := parseSignedData(der)
	if err != nil {
		return nil, err
	}
	content := sd.content
	switch {
	case content == nil && len(doc) == 0:
		return nil, errors.New("no identity document")
	case content == nil:
		content = doc
	case len(doc) > 0 && !bytes.Equal(bytes.TrimSpace(doc), bytes.TrimSpace(content)):
		return nil, errors.New("the identity document is not the one the signature covers")
	}
	var lastErr error = errors.New("no signer")
	for _, si := range sd.signers {
		if lastErr = verifySigner(v.key, si, content); lastErr == nil {
			var d Document
			if err := json.Unmarshal(content, &d); err != nil {
				return nil, fmt.Errorf("identity document: %w", err)
			}
			if d.InstanceID == "" || d.PendingTime.IsZero() {
				return nil, errors.New("identity document without instanceId or pendingTime")
			}
			return &d, nil
		}
	}
	return nil, fmt.Errorf("signature: %w", lastErr)
}

func decodeSignature(sig []byte) ([]byte, error) {
	s := strings.TrimSpace(string(sig))
	if strings.HasPrefix(s, "-----BEGIN") {
		blk, _ := pem.Decode([]byte(s))
		if blk == nil {
			return nil, errors.New("signature: malformed PEM")
		}
		return blk.Bytes, nil
	}
	s = strings.Join(strings.Fields(s), "")
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("signature: not base64")
	}
	return der, nil
}

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1RSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA512RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
)

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional,tag:0"` // [0] EXPLICIT: Bytes is the inner element
}

type signedDataASN1 struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	ContentInfo      contentInfo
	Certificates     asn1.RawValue    `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue    `asn1:"optional,tag:1"`
	SignerInfos      []signerInfoASN1 `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

type signerInfoASN1 struct {
	Version                   int
	IssuerAndSerialNumber     issuerAndSerial
	DigestAlgorithm           pkix.AlgorithmIdentifier
	AuthenticatedAttributes   asn1.RawValue `asn1:"optional,tag:0"`
	DigestEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedDigest           []byte
	UnauthenticatedAttributes asn1.RawValue `asn1:"optional,tag:1"`
}

type signedData struct {
	content []byte
	signers []signerInfoASN1
}

func parseSignedData(der []byte) (*signedData, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("signature: not PKCS7: %v", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("signature: trailing data after PKCS7")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("signature: PKCS7 is not SignedData")
	}
	var sd signedDataASN1
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("signature: malformed SignedData: %v", err)
	}
	out := &signedData{signers: sd.SignerInfos}
	if !sd.ContentInfo.ContentType.Equal(oidData) {
		return nil, errors.New("signature: signed content is not data")
	}
	if len(sd.ContentInfo.Content.Bytes) > 0 {
		var octets []byte
		if _, err := asn1.Unmarshal(sd.ContentInfo.Content.Bytes, &octets); err != nil {
			return nil, fmt.Errorf("signature: malformed content: %v", err)
		}
		out.content = octets
	}
	if len(out.signers) == 0 {
		return nil, errors.New("signature: no signer")
	}
	return out, nil
}

func digestFor(oid asn1.ObjectIdentifier) (crypto.Hash, func() hash.Hash, error) {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1, sha1.New, nil
	case oid.Equal(oidSHA256):
		return crypto.SHA256, sha256.New, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, sha512.New, nil
	}
	return 0, nil, fmt.Errorf("unsupported digest algorithm %v", oid)
}

func verifySigner(key *rsa.PublicKey, si signerInfoASN1, content []byte) error {
	alg := si.DigestEncryptionAlgorithm.Algorithm
	if !alg.Equal(oidRSA) && !alg.Equal(oidSHA1RSA) && !alg.Equal(oidSHA256RSA) && !alg.Equal(oidSHA512RSA) {
		return fmt.Errorf("unsupported signature algorithm %v (RSA expected)", alg)
	}
	h, newHash, err := digestFor(si.DigestAlgorithm.Algorithm)
	if err != nil {
		return err
	}
	sum := func(b []byte) []byte { d := newHash(); d.Write(b); return d.Sum(nil) }
	signed := content
	if len(si.AuthenticatedAttributes.FullBytes) > 0 {
		var attrs []attribute
		if _, err := asn1.UnmarshalWithParams(si.AuthenticatedAttributes.FullBytes, &attrs, "set,tag:0"); err != nil {
			return fmt.Errorf("malformed authenticated attributes: %v", err)
		}
		var digest []byte
		for _, a := range attrs {
			if a.Type.Equal(oidMessageDigest) {
				if _, err := asn1.Unmarshal(a.Value.Bytes, &digest); err != nil {
					return fmt.Errorf("malformed message digest: %v", err)
				}
			}
		}
		if digest == nil {
			return errors.New("authenticated attributes without a message digest")
		}
		if !bytes.Equal(digest, sum(content)) {
			return errors.New("the message digest does not match the document")
		}
		// The signature covers the attributes as an explicit SET OF.
		signed = append([]byte{0x31}, si.AuthenticatedAttributes.FullBytes[1:]...)
	}
	if err := rsa.VerifyPKCS1v15(key, h, sum(signed), si.EncryptedDigest); err != nil {
		return errors.New("not signed by the configured AWS certificate")
	}
	return nil
}

// Sign makes the PKCS7 signature (base64, as IMDS serves it) of doc with
// key, whose certificate is cert: what AWS does for an instance. It stands
// in for AWS in tests and fake metadata services.
func Sign(doc []byte, cert *x509.Certificate, key *rsa.PrivateKey) ([]byte, error) {
	sum := sha256.Sum256(doc)
	mdVal, err := asn1.Marshal(sum[:])
	if err != nil {
		return nil, err
	}
	ctVal, err := asn1.Marshal(oidData)
	if err != nil {
		return nil, err
	}
	stVal, err := asn1.Marshal(time.Now().UTC())
	if err != nil {
		return nil, err
	}
	attrs := []attribute{
		{Type: oidContentType, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: ctVal}},
		{Type: oidSigningTime, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: stVal}},
		{Type: oidMessageDigest, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: mdVal}},
	}
	setDER, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(setDER)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return nil, err
	}
	implicit := append([]byte{0xa0}, setDER[1:]...)
	docDER, err := asn1.Marshal(doc)
	if err != nil {
		return nil, err
	}
	sd := signedDataASN1{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: oidSHA256}},
		ContentInfo:      contentInfo{ContentType: oidData, Content: explicit0(docDER)},
		SignerInfos: []signerInfoASN1{{
			Version:                   1,
			IssuerAndSerialNumber:     issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber},
			DigestAlgorithm:           pkix.AlgorithmIdentifier{Algorithm: oidSHA256},
			AuthenticatedAttributes:   asn1.RawValue{FullBytes: implicit},
			DigestEncryptionAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidRSA},
			EncryptedDigest:           sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	ci, err := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: explicit0(sdDER)})
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(ci)), nil
}

// explicit0 wraps an encoded element in [0] EXPLICIT.
func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}
