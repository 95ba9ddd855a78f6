package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// isStateReturn reports whether v is a state run's return: a map whose
// every key is "<module>_|-<id>_|-<name>_|-<function>" with a result map.
func isStateReturn(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false
	}
	for k, e := range m {
		if strings.Count(k, "_|-") != 3 {
			return nil, false
		}
		if _, ok := e.(map[string]any); !ok {
			return nil, false
		}
	}
	return m, true
}

// highstate renders one minion's state return as Salt's highstate
// outputter does: a block per state in run order, then a summary.
//
// s.StateOutput and s.StateQuiet choose, as Salt's state_output and
// state_verbose do, which states get the full block, which one terse line,
// and which none.
func highstate(b *bytes.Buffer, id string, ret map[string]any, s Style) {
	color := s.Color
	mode := strings.ToLower(s.StateOutput)
	useID := strings.HasSuffix(mode, "_id")
	mode = strings.TrimSuffix(mode, "_id")
	c := func(code string) string {
		if color {
			return code
		}
		return ""
	}
	end := c(ansiEnd)
	type entry struct {
		key string
		m   map[string]any
		run float64
	}
	var entries []entry
	for k, e := range ret {
		m := e.(map[string]any)
		run := toFloat(m["__run_num__"])
		entries = append(entries, entry{k, m, run})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].run != entries[j].run {
			return entries[i].run < entries[j].run
		}
		return entries[i].key < entries[j].key
	})
	id = Escape(id)
	fmt.Fprintf(b, "%s%s:%s\n", c(ansiCyan), id, end)
	var ok, changed, failed int
	var total float64
	for _, e := range entries {
		parts := strings.Split(e.key, "_|-")
		mod, sid, name, fun := parts[0], parts[1], parts[2], parts[3]
		if v, ok := e.m["__id__"].(string); ok {
			sid = v
		}
		if v, ok := e.m["name"].(string); ok {
			name = v
		}
		changes, _ := e.m["changes"].(map[string]any)
		res := e.m["result"]
		col := ansiGreen
		resText := "True"
		switch res {
		case false:
			col, resText = ansiRed, "False"
			failed++
		case nil:
			col, resText = ansiLightYellow, "None"
			ok++
		default:
			ok++
			if len(changes) > 0 {
				col = ansiCyan
			}
		}
		if len(changes) > 0 {
			changed++
		}
		dur := toFloat(e.m["duration"])
		total += dur
		if useID {
			name = sid
		}
		// state_verbose=False: a state that succeeded with no changes is
		// left out (None, "would change", is shown).
		if s.StateQuiet && res == true && len(changes) == 0 {
			continue
		}
		if mode == "terse" || (mode == "mixed" && res != false) || (mode == "changes" && res == true && len(changes) == 0) {
			word := "Clean"
			switch {
			case res == false:
				word = "Failed"
			case res == nil:
				word = "Differs"
			case len(changes) > 0:
				word = "Changed"
			}
			line := fmt.Sprintf("Name: %s - Function: %s.%s - Result: %s", name, mod, fun, word)
			if st, ok := e.m["start_time"].(string); ok {
				line += fmt.Sprintf(" - Started: %s - Duration: %s ms", st, formatFloat(round3(dur)))
			}
			// Salt's " {tcolor} Name: ..." (two spaces without colour).
			fmt.Fprintf(b, " %s %s%s\n", c(col), Escape(line), end)
			continue
		}
		fmt.Fprintf(b, "%s----------%s\n", c(col), end)
		// Every field is one line: what the minion returned is escaped.
		field := func(label, val string) {
			fmt.Fprintf(b, "%s%12s: %s%s\n", c(col), label, Escape(val), end)
		}
		field("ID", sid)
		field("Function", mod+"."+fun)
		field("Name", name)
		field("Result", resText)
		comment, _ := e.m["comment"].(string)
		lines := splitLines(comment)
		if len(lines) == 0 {
			lines = []string{""}
		}
		field("Comment", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(b, "%s%14s%s%s\n", c(col), "", Escape(l), end)
		}
		if st, ok := e.m["start_time"].(string); ok {
			field("Started", st)
		}
		field("Duration", fmt.Sprintf("%s ms", formatFloat(round3(dur))))
		if len(changes) == 0 {
			fmt.Fprintf(b, "%s%12s:%s\n", c(col), "Changes", end)
			continue
		}
		fmt.Fprintf(b, "%s%12s:%s\n", c(col), "Changes", end)
		if nestedHighstate(b, changes, s) {
			continue
		}
		var nb bytes.Buffer
		n := newNested(&nb, color, res == false)
		n.display(normalize(changes), 14, "")
		b.Write(nb.Bytes())
	}
	sumCol := ansiGreen
	if failed > 0 {
		sumCol = ansiRed
	}
	fmt.Fprintf(b, "\n%sSummary for %s%s\n", c(ansiCyan), id, end)
	fmt.Fprintf(b, "%s------------%s\n", c(ansiCyan), end)
	if changed > 0 {
		fmt.Fprintf(b, "%sSucceeded: %d%s (%schanged=%d%s)\n", c(ansiGreen), ok, end, c(ansiGreen), changed, end)
	} else {
		fmt.Fprintf(b, "%sSucceeded: %d%s\n", c(ansiGreen), ok, end)
	}
	fmt.Fprintf(b, "%sFailed:    %d%s\n", c(sumCol), failed, end)
	fmt.Fprintf(b, "%s------------%s\n", c(ansiCyan), end)
	fmt.Fprintf(b, "%sTotal states run: %5d%s\n", c(ansiCyan), len(entries), end)
	fmt.Fprintf(b, "%sTotal run time: %8s ms%s\n", c(ansiCyan), fmt.Sprintf("%.3f", total), end)
}

// nestedHighstate renders an orchestration step's changes,
// {"out": "highstate", "ret": {id: state returns}}, as Salt does: each
// minion's state returns in the highstate layout, indented under
// Changes. It reports false (writing nothing) for other changes.
func nestedHighstate(b *bytes.Buffer, changes map[string]any, s Style) bool {
	color := s.Color
	ret, ok := changes["ret"].(map[string]any)
	if changes["out"] != "highstate" || !ok || len(changes) != 2 || len(ret) == 0 {
		return false
	}
	ids := make([]string, 0, len(ret))
	for id := range ret {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		var nb bytes.Buffer
		if st, ok := isStateReturn(ret[id]); ok {
			highstate(&nb, id, st, s)
		} else {
			n := newNested(&nb, color, false)
			n.key(0, "", id)
			n.display(ret[id], 4, "")
		}
		for _, l := range strings.SplitAfter(nb.String(), "\n") {
			if strings.TrimSpace(l) != "" {
				b.WriteString(strings.Repeat(" ", 14))
			}
			b.WriteString(l)
		}
	}
	return true
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
