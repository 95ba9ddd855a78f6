// Package proto is the contract between master, minion and ctl: the NATS
// subjects each party may use, the messages carried on them and the Salt
// event tags. It imports nothing of Brine's and changes rarely.
//
// Subject layout (ID tokens are minion ids passed through IDToken):
//
//	brine.job.<id>              master -> minion: a Job for that minion only
//	brine.mret.<jid>.<id>       minion -> master: a Return, checked by the master
//	brine.ret.<jid>.<id>        master -> (job cache stream, ctl): a checked Return
//	brine.prog.<jid>.<id>       minion -> ctl: Progress while a long job runs
//	brine.req.<id>.<op>         minion -> master: requests (grains, files, ...)
//	brine.mevent.<id>           minion -> master: events the minion fires
//	brine.master.<op>           ctl -> master: operator requests
//	brine.event.<tag tokens>    master -> anyone allowed: the event bus
//
// NATS permissions are set per connection by the master's auth callout so
// that a minion can only subscribe to brine.job.<own id> and its own inbox,
// and only publish its own returns, requests and events.
package proto

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Version is the Brine version reported by every binary.
const Version = "0.1.0"

// Subject prefixes.
const (
	SubjectJob         = "brine.job"
	SubjectReturn      = "brine.ret"
	SubjectMinionRet   = "brine.mret"
	SubjectReturnChunk = "brine.retc"
	SubjectProgress    = "brine.prog"
	SubjectMinionReq   = "brine.req"
	SubjectMinionEvt   = "brine.mevent"
	SubjectMaster      = "brine.master"
	SubjectEvent       = "brine.event"
	InboxPrefixMinion  = "_INBOX_M"
)

// Names of JetStream streams and KV buckets the master keeps.
const (
	StreamReturns      = "BRINE_RETURNS"
	StreamEvents       = "BRINE_EVENTS"
	StreamReturnChunks = "BRINE_RETURN_CHUNKS"
	BucketKeys         = "brine_keys"
	BucketGrains       = "brine_grains"
	BucketJobs         = "brine_jobs"
	BucketMine         = "brine_mine"
)

// idOK is ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$, checked by hand: the
// regular expression's bounded repeat took 4 ms to compile at every start
// of every binary (ctl's start-up budget is 30 ms).
func idOK(id string) bool {
	if len(id) == 0 || len(id) > 253 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ReservedIDPrefix starts the names of the master's own bus connections
// (brine-master, brine-master-sys, brine-master-auth); no minion id may
// start with it.
const ReservedIDPrefix = "brine-master"

// reservedID reports the names of non-minion bus clients (ctl, the
// master's internal users) that no minion may take.
func reservedID(id string) bool {
	switch id {
	case "ctl", "brine-auth", "brine-sys":
		return true
	}
	return strings.HasPrefix(id, ReservedIDPrefix)
}

// ValidID reports whether id is usable as a minion id. Ids may contain
// letters, digits, '_', '-' and '.', and must not start with '.' or '-'.
// '@' is refused because it separates a compound target's kind from its
// value (G@os:Debian): an id such as L@web could not be targeted as itself.
// The names of ctl and of the master's own connections are reserved.
func ValidID(id string) error {
	if !idOK(id) || strings.Contains(id, "..") {
		return fmt.Errorf("invalid minion id %q: use letters, digits, '.', '-', '_' (not starting with '.' or '-', at most 253 characters)", id)
	}
	if reservedID(id) {
		return fmt.Errorf("invalid minion id %q: the name is reserved for Brine's own connections", id)
	}
	return nil
}

// IDToken turns a minion id into a single NATS subject token: '.' becomes
// '~', which ValidID never admits, so the mapping is reversible.
func IDToken(id string) string { return strings.ReplaceAll(id, ".", "~") }

// TokenID is the inverse of IDToken.
func TokenID(tok string) string { return strings.ReplaceAll(tok, "~", ".") }

// JobSubject is where the master sends jobs for minion id.
func JobSubject(id string) string { return SubjectJob + "." + IDToken(id) }

// ReturnSubject is where the master publishes minion id's checked return
// for jid: the job cache stream keeps it and ctl reads it.
func ReturnSubject(jid, id string) string { return SubjectReturn + "." + jid + "." + IDToken(id) }

// MinionReturnSubject is where minion id sends its return for jid. The
// master accepts it only for an existing job that targeted id, once, and
// only then republishes it on ReturnSubject.
func MinionReturnSubject(jid, id string) string {
	return SubjectMinionRet + "." + jid + "." + IDToken(id)
}

// ProgressSubject is where minion id reports that jid is still running.
func ProgressSubject(jid, id string) string { return SubjectProgress + "." + jid + "." + IDToken(id) }

// ProgressFilter matches every progress report of jid.
func ProgressFilter(jid string) string { return SubjectProgress + "." + jid + ".*" }

// ProgressInterval is how often a minion reports a job that is still
// running; the first report comes after one interval, so quick jobs send
// none.
const ProgressInterval = 2 * time.Second

// Progress says a minion is still running a job.
type Progress struct {
	JID string `json:"jid"`
	ID  string `json:"id"`
}

// ReturnsFilter matches every return of jid.
func ReturnsFilter(jid string) string { return SubjectReturn + "." + jid + ".*" }

// ParseReturnSubject reads the jid and minion id out of a ReturnSubject or
// ProgressSubject. NATS permissions let a minion publish only under its own
// id, so these, not the ID and JID a message body claims, say who answered.
func ParseReturnSubject(subj string) (jid, id string, ok bool) {
	parts := strings.Split(subj, ".")
	if len(parts) != 4 {
		return "", "", false
	}
	switch parts[0] + "." + parts[1] {
	case SubjectReturn, SubjectProgress, SubjectMinionRet:
	default:
		return "", "", false
	}
	return parts[2], TokenID(parts[3]), true
}

// MinionRequestSubject is where minion id sends request op to the master.
func MinionRequestSubject(id, op string) string {
	return SubjectMinionReq + "." + IDToken(id) + "." + op
}

// MinionEventSubject is where minion id fires its own events.
func MinionEventSubject(id string) string { return SubjectMinionEvt + "." + IDToken(id) }

// MinionInbox is the reply-inbox prefix a minion must use; its permissions
// allow only this one.
func MinionInbox(id string) string { return InboxPrefixMinion + "." + IDToken(id) }

// MasterSubject is where ctl sends operator request op.
func MasterSubject(op string) string { return SubjectMaster + "." + op }

// Minion request operations (brine.req.<id>.<op>).
const (
	ReqGrains   = "grains"      // GrainsUpdate -> Ack
	ReqFileList = "file_list"   // FileListRequest -> FileListReply
	ReqFileStat = "file_stat"   // FileRequest -> FileStat
	ReqFileRead = "file_read"   // FileReadRequest -> raw bytes (error: header Brine-Error)
	ReqPillar   = "pillar"      // PillarRequest -> PillarReply (the caller's own pillar only)
	ReqTop      = "top"         // TopRequest -> TopReply (the caller's own state top)
	ReqMineUp   = "mine_update" // MineUpdate -> Ack (the caller's own mine data)
	ReqMineGet  = "mine_get"    // MineGetRequest -> MineGetReply

	ReqScheduleJob = "schedule_job" // ScheduleJob -> ScheduleJobReply (records the caller's scheduled run in the job cache under a jid the master picks)
	ReqReturnChunk = "return_chunk" // ReturnChunk -> Ack (a piece of the caller's large return)
)

// ScheduleJob tells the master that the calling minion starts a run of its
// schedule entry Name as job JID, so the job cache records it (user
// "schedule:<Name>", targeting the minion alone) before the return comes.
type ScheduleJob struct {
	JID   string         `json:"jid"`
	Fun   string         `json:"fun"`
	Arg   []any          `json:"arg,omitempty"`
	Kwarg map[string]any `json:"kwarg,omitempty"`
	Name  string         `json:"name"`
}

// MineUpdate replaces (or with Clear, first empties) the calling minion's
// mine data; Delete removes functions.
type MineUpdate struct {
	Data   map[string]any `json:"data,omitempty"`
	Clear  bool           `json:"clear,omitempty"`
	Delete []string       `json:"delete,omitempty"`
}

// MineGetRequest asks for function Fun's mine data of the minions Target
// matches.
type MineGetRequest struct {
	Target Target `json:"target"`
	Fun    string `json:"fun"`
}

// MineGetReply maps minion ids to their mine data for the function.
type MineGetReply struct {
	Data  map[string]any `json:"data"`
	Error *Error         `json:"error,omitempty"`
}

// PillarRequest asks the master to compile the calling minion's pillar.
type PillarRequest struct {
	Saltenv string `json:"saltenv,omitempty"`
	// Pillarenv compiles the pillar from that pillar_roots environment
	// only (Salt's pillarenv=); empty: every environment.
	Pillarenv string `json:"pillarenv,omitempty"`
}

// PillarReply carries a minion's pillar.
type PillarReply struct {
	Pillar map[string]any `json:"pillar"`
	Error  *Error         `json:"error,omitempty"`
}

// TopRequest asks which SLS the state top assigns to the calling minion.
type TopRequest struct {
	Saltenv string `json:"saltenv,omitempty"`
	// Pillar is the minion's pillar, with any pillar= overrides, for
	// pillar matches in the top file.
	Pillar map[string]any `json:"pillar,omitempty"`
}

// TopReply maps saltenvs to SLS names.
type TopReply struct {
	Tops  map[string][]string `json:"tops"`
	Order []string            `json:"order"`
	Error *Error              `json:"error,omitempty"`
}

// HeaderError carries an error on replies whose body is raw data.
const HeaderError = "Brine-Error"

// FileChunk is the largest piece of a file one file_read returns.
const FileChunk = 1 << 20

// FileRequest names a file on the master's file server: Path is relative
// to the saltenv's file_roots (the part after salt://).
type FileRequest struct {
	Saltenv string `json:"saltenv"`
	Path    string `json:"path"`
}

// FileStat describes a file on the file server.
type FileStat struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Mode   uint32 `json:"mode"`
	Error  *Error `json:"error,omitempty"`
}

// FileReadRequest asks for Length bytes (at most FileChunk) at Offset.
type FileReadRequest struct {
	FileRequest
	Offset int64 `json:"offset"`
	Length int   `json:"length"`
}

// FileListRequest lists the files under Prefix ("" for all).
type FileListRequest struct {
	Saltenv string `json:"saltenv"`
	Prefix  string `json:"prefix"`
}

// FileListReply lists file paths, sorted.
type FileListReply struct {
	Files []string `json:"files"`
	Error *Error   `json:"error,omitempty"`
}

// Operator requests carry these headers: the operator's public nkey, the
// time (RFC 3339) and an nkey signature over SignedPayload, so the master
// knows who asks before it dispatches.
const (
	HeaderUser = "Brine-User"
	HeaderKey  = "Brine-Key"
	HeaderTime = "Brine-Time"
	HeaderSig  = "Brine-Sig"
)

// OperatorTokenMessage is what the operator key signs to make its HTTP
// API token (`ctl api-token` prints it; POST /login {"token": ...}).
const OperatorTokenMessage = "brine api operator token v1"

// SignedPayload is what an operator signs for a request on subject.
func SignedPayload(subject, ts string, body []byte) []byte {
	b := make([]byte, 0, len(subject)+len(ts)+len(body)+2)
	b = append(b, subject...)
	b = append(b, '\n')
	b = append(b, ts...)
	b = append(b, '\n')
	return append(b, body...)
}

// Operator request operations (brine.master.<op>).
const (
	OpPublish     = "job.publish"      // PublishRequest -> PublishReply
	OpJobsList    = "jobs.list"        // JobsListRequest -> JobsListReply
	OpJobsShow    = "jobs.show"        // JobsShowRequest -> JobsShowReply
	OpKeyList     = "key.list"         // KeyRequest -> KeyListReply
	OpKeyAccept   = "key.accept"       // KeyRequest -> KeyActionReply
	OpKeyReject   = "key.reject"       // KeyRequest -> KeyActionReply
	OpKeyDelete   = "key.delete"       // KeyRequest -> KeyActionReply
	OpKeyFinger   = "key.finger"       // KeyRequest -> KeyListReply (fingerprints)
	OpRunner      = "runner"           // RunnerRequest -> RunnerReply
	OpTargets     = "target.match"     // TargetRequest -> TargetReply
	OpReturnChunk = "job.return_chunk" // ReturnChunkRequest -> raw bytes
)

// Target says which minions a job is for.
type Target struct {
	Expr string `json:"tgt"`
	// Type is one of glob, pcre, list, grain, grain_pcre, pillar, compound,
	// ipcidr, expr, or "" for the default (key:value grain, else glob).
	Type string `json:"tgt_type,omitempty"`
}

// Job is what a minion receives on brine.job.<id>.
type Job struct {
	JID    string         `json:"jid"`
	Fun    string         `json:"fun"`
	Arg    []any          `json:"arg,omitempty"`
	Kwarg  map[string]any `json:"kwarg,omitempty"`
	User   string         `json:"user,omitempty"`
	Target Target         `json:"target"`
	// Timeout, in seconds, after which the minion abandons the job; 0: none.
	Timeout float64 `json:"timeout,omitempty"`
}

// Return is what a minion publishes on brine.ret.<jid>.<id>.
type Return struct {
	JID     string    `json:"jid"`
	ID      string    `json:"id"`
	Fun     string    `json:"fun"`
	Return  any       `json:"return"`
	Retcode int       `json:"retcode"`
	Success bool      `json:"success"`
	Error   *Error    `json:"error,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Chunked is set, and Return is empty, when the return value was too
	// large for one message: its JSON was sent to the master in chunks,
	// which ctl fetches with OpReturnChunk.
	Chunked *ChunkInfo `json:"chunked,omitempty"`
	// Truncated is set when the return value was larger than
	// MaxReturnSize: Return then holds its beginning and a marker.
	Truncated bool `json:"truncated,omitempty"`
}

// ChunkInfo describes a return value sent in chunks.
type ChunkInfo struct {
	Chunks int    `json:"chunks"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex, of the whole value's JSON
}

// Sizes of returns. A return whose encoding is at most MaxInlineReturn
// travels as one message; a larger value is sent in ReturnChunkSize
// pieces, up to MaxReturnSize, beyond which it is truncated.
const (
	MaxInlineReturn = 4 << 20
	ReturnChunkSize = 1 << 20
	MaxReturnSize   = 512 << 20
)

// ReturnChunk is one piece of a large return value (ReqReturnChunk).
type ReturnChunk struct {
	JID   string `json:"jid"`
	Index int    `json:"index"`
	Total int    `json:"total"`
	Data  []byte `json:"data"`
}

// ReturnChunkRequest asks for piece Index of minion ID's return of JID
// (OpReturnChunk); the reply is the raw bytes.
type ReturnChunkRequest struct {
	JID   string `json:"jid"`
	ID    string `json:"id"`
	Index int    `json:"index"`
}

// CheckChunked checks the reassembled pieces raw of r's chunked value and
// puts the value in place.
func CheckChunked(r *Return, raw []byte) error {
	ci := r.Chunked
	if int64(len(raw)) != ci.Size {
		return fmt.Errorf("return of %s is %d bytes, want %d", r.ID, len(raw), ci.Size)
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != ci.SHA256 {
		return fmt.Errorf("return of %s does not match its digest", r.ID)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("return of %s: %w", r.ID, err)
	}
	r.Return, r.Chunked = v, nil
	return nil
}

// ReturnChunkSubject is where the master keeps piece index of id's return.
func ReturnChunkSubject(jid, id string, index int) string {
	return fmt.Sprintf("%s.%s.%s.%d", SubjectReturnChunk, jid, IDToken(id), index)
}

// ScheduleJobReply names the jid the master recorded a scheduled run as.
type ScheduleJobReply struct {
	JID string `json:"jid"`
}

// Error kinds a Return or a reply may carry.
const (
	ErrUnknownFunction = "unknown_function"
	ErrBadArgument     = "bad_argument"
	ErrExecution       = "execution"
	ErrTimeout         = "timeout"
	ErrBadTarget       = "bad_target"
	ErrNoMinions       = "no_minions"
	ErrDenied          = "denied"
	ErrNotFound        = "not_found"
	ErrInternal        = "internal"
	ErrBadRequest      = "bad_request"
	ErrBusy            = "busy" // a per-minion limit was reached: retry later
)

// Error is a typed error carried in replies and returns.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error of kind.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// GrainsUpdate is sent by a minion on connect and whenever its grains change.
type GrainsUpdate struct {
	Grains map[string]any `json:"grains"`
	// Connect is set on the update sent right after (re)connecting; the
	// master then fires salt/minion/<id>/start.
	Connect bool `json:"connect,omitempty"`
}

// Ack is the reply to requests that return nothing else.
type Ack struct {
	Error *Error `json:"error,omitempty"`
}

// PublishRequest asks the master to start a job. JID is chosen by ctl (see
// NewJID) so it can subscribe to the returns before the job goes out.
type PublishRequest struct {
	JID     string         `json:"jid"`
	Target  Target         `json:"target"`
	Fun     string         `json:"fun"`
	Arg     []any          `json:"arg,omitempty"`
	Kwarg   map[string]any `json:"kwarg,omitempty"`
	User    string         `json:"user,omitempty"`
	Timeout float64        `json:"timeout,omitempty"`
}

// PublishReply names the minions the job was sent to.
type PublishReply struct {
	JID     string   `json:"jid"`
	Minions []string `json:"minions"`
	// Down are the targeted minions known not to be connected: the job
	// waits for them (it runs when they reconnect, within its time), but
	// ctl need not.
	Down  []string `json:"down,omitempty"`
	Error *Error   `json:"error,omitempty"`
}

// JobRecord is what the job cache keeps about a job.
type JobRecord struct {
	JID     string         `json:"jid"`
	Fun     string         `json:"fun"`
	Arg     []any          `json:"arg,omitempty"`
	Kwarg   map[string]any `json:"kwarg,omitempty"`
	Target  Target         `json:"target"`
	User    string         `json:"user"`
	Minions []string       `json:"minions"`
	Start   time.Time      `json:"start"`
}

// JobsListRequest lists the newest jobs first.
type JobsListRequest struct {
	Limit int `json:"limit,omitempty"`
}

// JobsListReply lists jobs.
type JobsListReply struct {
	Jobs  []JobRecord `json:"jobs"`
	Error *Error      `json:"error,omitempty"`
}

// JobsShowRequest asks for one job and its returns.
type JobsShowRequest struct {
	JID string `json:"jid"`
}

// JobsShowReply is a job with every return the cache holds.
type JobsShowReply struct {
	Job     *JobRecord `json:"job,omitempty"`
	Returns []Return   `json:"returns"`
	Error   *Error     `json:"error,omitempty"`
}

// Key states, Salt's names.
const (
	KeyAccepted = "minions"
	KeyPending  = "minions_pre"
	KeyRejected = "minions_rejected"
	KeyDenied   = "minions_denied"
	KeyDamaged  = "minions_damaged" // a record the master cannot read: only deletion applies
)

// KeyRequest names a key (ID, a glob) or all keys of the state the action
// applies to.
type KeyRequest struct {
	ID  string `json:"id,omitempty"`
	All bool   `json:"all,omitempty"`
}

// KeyInfo describes one key.
type KeyInfo struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Public string `json:"public"`
	Finger string `json:"finger"`
}

// KeyListReply groups keys by state.
type KeyListReply struct {
	Keys  []KeyInfo `json:"keys"`
	Error *Error    `json:"error,omitempty"`
}

// KeyActionReply names the keys an action changed.
type KeyActionReply struct {
	Changed []string `json:"changed"`
	Error   *Error   `json:"error,omitempty"`
}

// RunnerRequest runs a master-side function.
type RunnerRequest struct {
	Fun   string         `json:"fun"`
	Arg   []any          `json:"arg,omitempty"`
	Kwarg map[string]any `json:"kwarg,omitempty"`
	User  string         `json:"user,omitempty"`
}

// RunnerReply carries a runner's result.
type RunnerReply struct {
	Return any    `json:"return"`
	Error  *Error `json:"error,omitempty"`
}

// TargetRequest asks which minions a target matches.
type TargetRequest struct {
	Target Target `json:"target"`
}

// TargetReply lists matching minion ids.
type TargetReply struct {
	Minions []string `json:"minions"`
	Error   *Error   `json:"error,omitempty"`
}

// Event is one message on the event bus.
type Event struct {
	Tag  string         `json:"tag"`
	Data map[string]any `json:"data"`
}

// EventSubject maps a Salt tag to its NATS subject: each '/'-separated part
// becomes one token, with '.' replaced as in IDToken and empty parts as "_".
// Wildcards, spaces and control characters, which no subject may carry,
// become "_" too, so that any tag (a hook path, say) can be published.
func EventSubject(tag string) string {
	parts := strings.Split(tag, "/")
	for i, p := range parts {
		switch {
		case p == "":
			parts[i] = "_"
		default:
			parts[i] = strings.Map(eventRune, p)
		}
	}
	return SubjectEvent + "." + strings.Join(parts, ".")
}

func eventRune(r rune) rune {
	switch {
	case r == '.':
		return '~'
	case r == '*' || r == '>' || r <= ' ' || r == 0x7f:
		return '_'
	}
	return r
}

// Salt event tags.
const (
	TagAuth     = "salt/auth"
	TagKey      = "salt/key"
	TagPresence = "salt/presence/present"
)

// TagMinionStart is fired when a minion connects.
func TagMinionStart(id string) string { return "salt/minion/" + id + "/start" }

// CheckMinionTag says whether minion id may fire tag: any tag outside the
// system's namespaces ("salt/", "brine/"), and "salt/minion/<id>/..." for
// its own id.
func CheckMinionTag(id, tag string) error {
	if tag == "" || len(tag) > 512 {
		return fmt.Errorf("event tag must be 1 to 512 characters")
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("event tag %q has a control character", tag)
		}
	}
	own := "salt/minion/" + id + "/"
	if strings.HasPrefix(tag, own) && len(tag) > len(own) {
		return nil
	}
	if strings.HasPrefix(tag, "salt/") || strings.HasPrefix(tag, "brine/") {
		return fmt.Errorf("tag %q is in the system's namespace; a minion may use %s... or its own prefix", tag, own)
	}
	return nil
}

// TagPresenceChange is fired when minions connect or disconnect.
const TagPresenceChange = "salt/presence/change"

// TagJobNew is fired when a job is published.
func TagJobNew(jid string) string { return "salt/job/" + jid + "/new" }

// TagJobRet is fired for each return.
func TagJobRet(jid, id string) string { return "salt/job/" + jid + "/ret/" + id }

// NewJID returns a Salt-style job id: the UTC time to the microsecond as 20
// digits, with the last three digits of the microseconds replaced by random
// ones so that two ctl processes in the same microsecond do not collide.
// Within one process (ctl --batch starts jobs from several goroutines at
// once) ids never repeat: a candidate not above the last id issued less
// than a second before becomes that id plus one.
func NewJID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	n := now.UnixMilli()*1000 + int64(binary.BigEndian.Uint16(b[:])%1000)
	jidLast.Lock()
	if last := jidLast.n; n <= last && n > last-1_000_000 {
		n = last + 1
	}
	if n > jidLast.n {
		jidLast.n = n
	}
	jidLast.Unlock()
	t := time.UnixMilli(n / 1000).UTC()
	return fmt.Sprintf("%s%03d%03d", t.Format("20060102150405"), t.Nanosecond()/1e6, n%1000)
}

// jidLast is the last jid NewJID issued, as unix milliseconds*1000 plus its
// random part.
var jidLast struct {
	sync.Mutex
	n int64
}

// JIDTime is the time a jid was made at, to the millisecond.
func JIDTime(jid string) (time.Time, bool) {
	if !ValidJID(jid) {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405.000", jid[:14]+"."+jid[14:17])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// ValidJID reports whether jid has the form NewJID produces.
func ValidJID(jid string) bool {
	if len(jid) != 20 {
		return false
	}
	for i := 0; i < len(jid); i++ {
		if jid[i] < '0' || jid[i] > '9' {
			return false
		}
	}
	return true
}
