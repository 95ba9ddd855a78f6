package minion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/brine-cm/brine/proto"
)

// DefaultEC2MetadataURL is the EC2 instance metadata service (IMDS).
const DefaultEC2MetadataURL = "http://169.254.169.254"

// fetchEC2Identity reads the instance identity document and its PKCS7
// (RSA-2048) signature from IMDS, version 2 (a session token first).
func fetchEC2Identity(ctx context.Context, base string) (*proto.EC2Identity, error) {
	if base == "" {
		base = DefaultEC2MetadataURL
	}
	base = strings.TrimRight(base, "/")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(method, path, token string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			return "", err
		}
		if token == "" {
			req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "300")
		} else {
			req.Header.Set("X-aws-ec2-metadata-token", token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return string(b), nil
	}
	token, err := call(http.MethodPut, "/latest/api/token", "")
	if err != nil {
		return nil, fmt.Errorf("instance metadata token: %w", err)
	}
	doc, err := call(http.MethodGet, "/latest/dynamic/instance-identity/document", token)
	if err != nil {
		return nil, fmt.Errorf("instance identity document: %w", err)
	}
	sig, err := call(http.MethodGet, "/latest/dynamic/instance-identity/rsa2048", token)
	if err != nil {
		return nil, fmt.Errorf("instance identity signature: %w", err)
	}
	return &proto.EC2Identity{Document: doc, Signature: strings.TrimSpace(sig)}, nil
}

// joinClaims is the connection token: the cloud join token (asking the
// master to accept this new key at once; ignored once accepted) and the
// instance identity when ec2_identity is on (fetched once, then kept: it
// does not change).
func (m *Minion) joinClaims() string {
	if !m.cfg.EC2Identity {
		if m.cfg.JoinToken == "" {
			return ""
		}
		b, _ := json.Marshal(proto.JoinClaims{JoinToken: m.cfg.JoinToken})
		return string(b)
	}
	m.mu.Lock()
	id := m.ec2ID
	m.mu.Unlock()
	if id == nil {
		var err error
		id, err = fetchEC2Identity(context.Background(), m.cfg.EC2MetadataURL)
		if err != nil {
			m.log.Warn("cannot read the EC2 instance identity; joining without it", "err", err)
			id = nil
		}
		m.mu.Lock()
		m.ec2ID = id
		m.mu.Unlock()
	}
	if id == nil && m.cfg.JoinToken == "" {
		return ""
	}
	b, _ := json.Marshal(proto.JoinClaims{EC2Identity: id, JoinToken: m.cfg.JoinToken})
	return string(b)
}
