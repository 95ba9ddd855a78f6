package proto

import (
	"encoding/json"
	"errors"
)

// JoinClaims is what a minion presents, besides its key, when it asks to
// join: it travels in the token of the bus connection's CONNECT, as JSON.
// The master reads it only once the connection's key signature holds.
type JoinClaims struct {
	// JoinToken is a cloud node's single-use join token (minion config
	// join_token).
	JoinToken string `json:"join_token,omitempty"`
	// EC2Identity is the instance's identity document and AWS's PKCS7
	// signature of it (autoscale's require_identity).
	EC2Identity *EC2Identity `json:"ec2_identity,omitempty"`
}

// EC2Identity is an EC2 instance identity document (JSON, as IMDS serves
// /latest/dynamic/instance-identity/document) and its signature (base64
// PKCS7, as IMDS serves /latest/dynamic/instance-identity/rsa2048).
type EC2Identity struct {
	Document  string `json:"document"`
	Signature string `json:"signature"`
}

// MaxJoinClaims bounds the size of the claims a connection may carry.
const MaxJoinClaims = 8 << 10

// ParseJoinClaims reads the claims of a connection's token ("" is none).
func ParseJoinClaims(token string) (*JoinClaims, error) {
	if token == "" {
		return &JoinClaims{}, nil
	}
	if len(token) > MaxJoinClaims {
		return nil, errors.New("join claims too large")
	}
	var c JoinClaims
	if err := json.Unmarshal([]byte(token), &c); err != nil {
		return nil, errors.New("join claims are not JSON")
	}
	return &c, nil
}

// MaxCpBytes bounds what one `ctl cp` (salt-cp) may send to cp.recv: it is
// for small files (configs, scripts); larger ones belong on the file
// server (salt:// and cp.get_file).
const MaxCpBytes = 1 << 20
