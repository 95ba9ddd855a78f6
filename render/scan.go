package render

import (
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Big templates are mostly text between tags. gonja's lexer preallocates
// about 20 bytes of tokens per byte of its input and the parsed template
// keeps them for the whole render, so patchSource hands gonja a skeleton:
// each long run of text is replaced by a marker that keeps its newlines
// (lines do not move), and dataCS prints the real text the marker stands
// for. patchSource's own lexing of the whole source is garbage as soon as
// it returns (scanSource copies the tokens it keeps).

// minElided is the shortest text run worth a marker.
const minElided = 64

// textRun is a run of template text, src[from:to].
type textRun struct{ from, to int }

// scanPiece is the size of the pieces scanSource lexes at a time.
const scanPiece = 1 << 20

// scanSource lexes src and returns the tokens of its tags, with positions
// and lines in src, and the runs of text between them (the content of
// raw blocks included; comments keep their tokens). src must be
// normalized and without the final newline gonja's lexer drops. It lexes
// src a piece of about pieceSize bytes at a time, each cut just before a
// tag, so the lexer's token slab stays small (pieceSize is scanPiece but
// in tests); a piece whose lexing does
// not end between tags (the cut fell inside a string, a comment or a raw
// block) grows to the next tag. ok is false when src does not lex (then
// gonja reports the error), holds a NUL byte (markers use it) or uses
// line statements.
func scanSource(src string, cfg *config.Config, pieceSize int) (toks []*tokens.Token, runs []textRun, ok bool) {
	line := 1
	ok = lexPieces(src, cfg, pieceSize, func(pos, end int, piece []*tokens.Token) {
		inComment := false
		for _, t := range piece {
			switch t.Type {
			case tokens.CommentBegin:
				inComment = true
			case tokens.CommentEnd:
				inComment = false
			case tokens.Data:
				if !inComment {
					from := pos + t.Pos
					if src[from:from+len(t.Val)] == t.Val {
						runs = append(runs, textRun{from, from + len(t.Val)})
					}
					continue
				}
			}
			// a copy: a pointer into the lexer's token slab would keep all
			// of it alive as long as the parsed expressions holding it
			c := *t
			if c.Line == 1 {
				c.Col += pos - strings.LastIndexByte(src[:pos], '\n') - 1
			}
			c.Pos += pos
			c.Line += line - 1
			toks = append(toks, &c)
		}
		line += strings.Count(src[pos:end], "\n")
	})
	if !ok {
		return nil, nil, false
	}
	return toks, runs, true
}

// lexPieces lexes src (as scanSource takes it) a piece of about
// pieceSize bytes at a time, each cut just before a tag, and hands fn
// each piece's tokens (positions and lines relative to the piece, which
// is src[pos:end]). It returns false when src does not lex, holds a NUL
// byte or uses line statements.
func lexPieces(src string, cfg *config.Config, pieceSize int, fn func(pos, end int, piece []*tokens.Token)) bool {
	if cfg.LineStatementPrefix != "" || cfg.LineCommentPrefix != "" || strings.IndexByte(src, 0) >= 0 {
		return false
	}
	keep := cfg.Inherit()
	keep.KeepTrailingNewline = true // src is already as gonja's lexer would cut it
	next := func(from int) int {
		if from >= len(src) {
			return len(src)
		}
		if i := nextTag(src, from); i >= 0 {
			return i
		}
		return len(src)
	}
	for pos := 0; pos < len(src); {
		end := len(src)
		if len(src)-pos > pieceSize {
			end = next(pos + pieceSize)
		}
		var piece []*tokens.Token
		for {
			piece = lexTokens(src[pos:end], keep)
			if betweenTags(piece) {
				break
			}
			if end == len(src) {
				return false
			}
			end = next(end + 1)
		}
		fn(pos, end, piece)
		pos = end
	}
	return true
}

// betweenTags reports whether the lexing of a piece ended cleanly outside
// any tag.
// any tag or raw block.
func betweenTags(piece []*tokens.Token) bool {
	open, raw, name := false, false, ""
	for i, t := range piece {
		switch t.Type {
		case tokens.Error:
			return false
		case tokens.VariableBegin, tokens.CommentBegin:
			open = true
		case tokens.BlockBegin:
			open, name = true, ""
			if i+1 < len(piece) {
				name = piece[i+1].Val
			}
			if rawEndTags[name] {
				raw = false
			}
		case tokens.VariableEnd, tokens.CommentEnd:
			open = false
		case tokens.BlockEnd:
			open = false
			if rawEnds[name] {
				raw = true
			}
		}
	}
	return !open && !raw
}

// the tags whose content gonja's lexer does not lex, and their end tags
var (
	rawEnds    = map[string]bool{"raw": true, "comment": true}
	rawEndTags = map[string]bool{"endraw": true, "endcomment": true}
)

// nextTag is the index of the next "{{", "{%" or "{#" at or after pos,
// or -1.
func nextTag(src string, pos int) int {
	for {
		i := strings.IndexByte(src[pos:], '{')
		if i < 0 {
			return -1
		}
		p := pos + i
		if p+1 < len(src) && (src[p+1] == '{' || src[p+1] == '%' || src[p+1] == '#') {
			return p
		}
		pos = p + 1
	}
}

// Text markers: NUL, the index of the run in state.texts, NUL, then the
// run's newlines.
func textMarker(i int) string { return "\x00" + strconv.FormatInt(int64(i), 36) + "\x00" }

// elidedText returns the text a marker in a Data token's value stands
// for.
func (st *state) elidedText(val string) (string, bool) {
	if len(val) < 3 || val[0] != 0 {
		return "", false
	}
	j := strings.IndexByte(val[1:], 0)
	if j < 0 {
		return "", false
	}
	i64, err := strconv.ParseInt(val[1:1+j], 36, 64)
	i := int(i64)
	if err != nil || i < 0 || i >= len(st.texts) || strings.Trim(val[2+j:], "\n") != "" {
		return "", false
	}
	return st.texts[i], true
}
