package command

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

const defaultMasterRootDir = "/var/lib/brine/master"

// client is ctl's connection to the bus: it signs every request to the
// master with the operator key from ctl.creds.
type client struct {
	nc   *nats.Conn
	key  nkeys.KeyPair
	pub  string
	user string
}

// unreachableError means the master could not be reached (exit 3).
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// givenRootDir is the master root_dir named by --root-dir or
// BRINE_ROOT_DIR ("" when neither is set).
func givenRootDir(g *globals) string {
	if g.RootDir != "" {
		return g.RootDir
	}
	return os.Getenv("BRINE_ROOT_DIR")
}

// locate finds the bus URL and credentials file: flags, then environment,
// then a master root_dir on this host.
func locate(g *globals) (url, creds, ca string) {
	url, creds, ca = g.Master, g.Creds, g.TLSCA
	if url == "" {
		url = os.Getenv("BRINE_MASTER")
	}
	if creds == "" {
		creds = os.Getenv("BRINE_CREDS")
	}
	if ca == "" {
		ca = os.Getenv("BRINE_TLS_CA")
	}
	root := givenRootDir(g)
	if root == "" && (url == "" || creds == "") {
		root = defaultMasterRootDir
	}
	if root != "" {
		if creds == "" {
			creds = filepath.Join(root, "ctl.creds")
		}
		if url == "" {
			if b, err := os.ReadFile(filepath.Join(root, "master.url")); err == nil {
				url = strings.TrimSpace(string(b))
			}
		}
	}
	if url == "" {
		url = "nats://127.0.0.1:4506"
	}
	return url, creds, ca
}

func dial(g *globals) (*client, error) {
	url, creds, ca := locate(g)
	kp, err := loadOperatorKey(creds)
	if err != nil {
		return nil, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	opts := []nats.Option{
		nats.Name("ctl"),
		nats.Nkey(pub, kp.Sign),
		nats.Timeout(5 * time.Second),
		nats.NoReconnect(),
	}
	if ca != "" {
		opts = append(opts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("cannot reach the master at %s: %w", url, err)}
	}
	who := "operator"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" {
		who = "sudo_" + s
	}
	return &client{nc: nc, key: kp, pub: pub, user: who}, nil
}

func (c *client) close() { c.nc.Close() }

// request sends a signed operator request and decodes the reply into out.
// A reply carrying {"error": ...} is returned as *proto.Error.
func (c *client) request(op string, req, out any, timeout time.Duration) error {
	resp, err := c.send(op, req, timeout)
	if err != nil {
		return err
	}
	var e struct {
		Error *proto.Error `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &e); err != nil {
		return fmt.Errorf("bad reply to %s: %w", op, err)
	}
	if e.Error != nil {
		return e.Error
	}
	if out != nil {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			return fmt.Errorf("bad reply to %s: %w", op, err)
		}
	}
	return nil
}

// requestRaw sends a signed operator request whose reply is raw bytes; an
// error travels in the Brine-Error header.
func (c *client) requestRaw(op string, req any, timeout time.Duration) ([]byte, error) {
	resp, err := c.send(op, req, timeout)
	if err != nil {
		return nil, err
	}
	if h := resp.Header.Get(proto.HeaderError); h != "" {
		var e struct {
			Error *proto.Error `json:"error"`
		}
		if json.Unmarshal(resp.Data, &e) == nil && e.Error != nil {
			return nil, e.Error
		}
		return nil, errors.New(h)
	}
	return resp.Data, nil
}

// send signs and sends an operator request and returns the reply.
func (c *client) send(op string, req any, timeout time.Duration) (*nats.Msg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	subj := proto.MasterSubject(op)
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	sig, err := c.key.Sign(proto.SignedPayload(subj, ts, body))
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(subj)
	msg.Data = body
	msg.Header.Set(proto.HeaderKey, c.pub)
	msg.Header.Set(proto.HeaderTime, ts)
	msg.Header.Set(proto.HeaderSig, base64.RawURLEncoding.EncodeToString(sig))
	msg.Header.Set(proto.HeaderUser, c.user)
	resp, err := c.nc.RequestMsg(msg, timeout)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) {
			return nil, &unreachableError{fmt.Errorf("the master did not answer %s: %w", op, err)}
		}
		return nil, &unreachableError{fmt.Errorf("request %s: %w", op, err)}
	}
	return resp, nil
}

// decodeReturn decodes a minion's return but for its value, which it
// returns as JSON (checked, nil when the return has none): the printer
// re-indents a large value for the json format rather than decoding it,
// and decodes it with output.DecodeJSON otherwise, which keeps numbers
// exact (an integer past 2^53 would lose digits as a float64).
func decodeReturn(data []byte, ret *proto.Return) (value []byte, err error) {
	value, head, err := output.CutMember(data, "return")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(head, ret); err != nil {
		return nil, err
	}
	return value, nil
}

// loadOperatorKey reads the operator nkey from a credentials file.
func loadOperatorKey(creds string) (nkeys.KeyPair, error) {
	data, err := os.ReadFile(creds)
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("read operator credentials %s: %w (use --creds, BRINE_CREDS or --root-dir)", creds, err)}
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "SU") {
			kp, err := nkeys.FromSeed([]byte(l))
			if err != nil {
				return nil, fmt.Errorf("credentials %s hold no operator key: %w", creds, err)
			}
			return kp, nil
		}
	}
	return nil, fmt.Errorf("credentials %s hold no operator key", creds)
}

// applyCtlDefaults takes state_output and state_verbose from the master
// config of this host (root_dir/ctl.defaults, which the master writes)
// where the command line did not give them, as Salt's CLI reads them from
// /etc/salt/master. A file that cannot be read changes nothing.
func applyCtlDefaults(g *globals) {
	root := givenRootDir(g)
	if root == "" {
		root = defaultMasterRootDir
	}
	b, err := os.ReadFile(filepath.Join(root, "ctl.defaults"))
	if err != nil {
		return
	}
	var d struct {
		StateOutput  string `json:"state_output"`
		StateVerbose *bool  `json:"state_verbose"`
	}
	if json.Unmarshal(b, &d) != nil {
		return
	}
	if g.StateOutput == "" && slices.Contains(output.StateOutputs, d.StateOutput) {
		g.StateOutput = d.StateOutput
	}
	if !g.StateVerboseSet && d.StateVerbose != nil {
		g.StateVerbose = *d.StateVerbose
	}
}
