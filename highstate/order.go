package highstate

import (
	"container/heap"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/brine-cm/brine/states"
)

// links is what Run needs of a chunk beyond the exported fields.
type links struct {
	state states.State
	// groups are the requisites by kind (Salt's evaluation order).
	groups []group
	// check are the groups a prereq test run of this chunk evaluates:
	// its own, without prereq and prerequired.
	check []group
	// prereq are the chunks to test before running this one.
	prereq []int
	// listen are the chunks whose changes fire this one's mod_watch at
	// the end of the run.
	listen []int
}

type group struct {
	kind    string // as evaluated: watch without mod_watch is require
	targets []int  // plan indices
}

var evalKinds = []string{"require", "require_any", "watch", "watch_any", "prereq",
	"onfail", "onfail_any", "onfail_all", "onchanges", "onchanges_any", "prerequired"}

// evalKind is the kind a requisite is evaluated as: watch on a state
// without mod_watch is a require, as in Salt.
func evalKind(st states.State, kind string) string {
	if st.ModWatch == nil {
		switch kind {
		case "watch":
			return "require"
		case "watch_any":
			return "require_any"
		}
	}
	return kind
}

// plan orders the chunks and builds the Plan.
func (c *compiler) plan() *Plan {
	n := len(c.chunks)
	if n == 0 {
		return &Plan{}
	}
	// Nodes 0..n-1 are chunks; a prereq target t also has a test node
	// n+k (checkNode[t]) that runs before the states prereq-ing it.
	checkNode := map[int]int{}
	var checkOf []int
	for i, ch := range c.chunks {
		if len(ch.prereqOf) > 0 {
			checkNode[i] = n + len(checkOf)
			checkOf = append(checkOf, i)
		}
	}
	total := n + len(checkOf)
	deps := make([][]int, total)
	for i, ch := range c.chunks {
		for _, rq := range ch.reqs {
			switch rq.kind {
			case "listen":
			case "prereq":
				for _, t := range rq.targets {
					deps[i] = mergeInts(deps[i], []int{checkNode[t]})
				}
			default:
				deps[i] = mergeInts(deps[i], rq.targets)
			}
		}
	}
	for k, t := range checkOf {
		for _, rq := range c.chunks[t].reqs {
			switch rq.kind {
			case "listen", "prereq", "prerequired":
			default:
				deps[n+k] = mergeInts(deps[n+k], rq.targets)
			}
		}
	}
	label := func(v int) string {
		if v >= n {
			return c.nodeName(checkOf[v-n]) + " (prereq test)"
		}
		return c.nodeName(v)
	}
	if cycles := findCycles(deps); len(cycles) > 0 {
		for _, cyc := range cycles {
			parts := make([]string, len(cyc))
			for i, v := range cyc {
				parts[i] = label(v)
			}
			c.errs.addf("requisite cycle: %s", strings.Join(parts, " -> "))
		}
		return nil
	}

	// Salt's order values.
	capv := 1.0
	for _, ch := range c.chunks {
		if v, ok := orderNumber(ch); ok && v == math.Trunc(v) && v > capv-1 && v > 0 {
			capv = v + 100
		}
	}
	own := make([]float64, total)
	for i, ch := range c.chunks {
		o := capv
		switch v := ch.order.(type) {
		case nil:
			if ch.hasAuto {
				o = float64(ch.auto)
			}
		case string:
			switch v {
			case "last":
				o = capv + 1000000
			case "first":
				o = 0
			}
		default:
			if f, ok := orderNumber(ch); ok {
				o = f
			}
		}
		if o < 0 {
			o += capv + 1000000
		}
		ch.Order = int(o)
		own[i] = o + float64(ch.nameOrder)/10000
	}
	for k, t := range checkOf {
		own[n+k] = own[t]
	}
	// A node's effective order is the lowest of its own and its
	// dependents' (transitively): a requisite runs as early as the
	// earliest state needing it.
	dependents := make([][]int, total)
	for v, ds := range deps {
		for _, d := range ds {
			dependents[d] = append(dependents[d], v)
		}
	}
	topo := kahn(deps, dependents, nil)
	eff := append([]float64(nil), own...)
	for i := len(topo) - 1; i >= 0; i-- {
		v := topo[i]
		for _, w := range dependents[v] {
			eff[v] = math.Min(eff[v], eff[w])
		}
	}
	labels := make([]string, total)
	for v := range total {
		var ch *cchunk
		if v >= n {
			ch = c.chunks[checkOf[v-n]]
		} else {
			ch = c.chunks[v]
		}
		labels[v] = ch.module + ch.Name + ch.function
	}
	seq := func(v int) int {
		if v >= n {
			return checkOf[v-n]
		}
		return v
	}
	less := func(a, b int) bool {
		if eff[a] != eff[b] {
			return eff[a] < eff[b]
		}
		if own[a] != own[b] {
			return own[a] < own[b]
		}
		if labels[a] != labels[b] {
			return labels[a] < labels[b]
		}
		if seq(a) != seq(b) {
			return seq(a) < seq(b)
		}
		return a < b
	}
	order := kahn(deps, dependents, less)

	pos := make([]int, n) // decl index -> plan index
	var planOrder []int
	for _, v := range order {
		if v < n {
			pos[v] = len(planOrder)
			planOrder = append(planOrder, v)
		}
	}
	p := &Plan{Chunks: make([]Chunk, n)}
	mapIdx := func(list []int) []int {
		out := make([]int, len(list))
		for i, v := range list {
			out[i] = pos[v]
		}
		return out
	}
	for pi, v := range planOrder {
		ch := c.chunks[v]
		ch.RunNum = pi
		for _, rq := range ch.reqs {
			ch.Requisites = append(ch.Requisites, Requisite{Kind: rq.kind, Module: rq.mod, Target: rq.val, RunNums: mapIdx(rq.targets)})
		}
		p.Chunks[pi] = ch.Chunk
	}
	p.links = deriveLinks(p.Chunks)
	return p
}

// deriveLinks builds what Run needs from the chunks' exported fields
// (so a Plan can also be stored and run again).
func deriveLinks(chunks []Chunk) []links {
	out := make([]links, len(chunks))
	for i, ch := range chunks {
		st, _ := states.Lookup(ch.Fun)
		lk := links{state: st}
		valid := func(list []int) []int {
			var ok []int
			for _, t := range list {
				if t >= 0 && t < len(chunks) {
					ok = append(ok, t)
				}
			}
			return ok
		}
		for _, kind := range evalKinds {
			var g group
			for _, rq := range ch.Requisites {
				if evalKind(st, rq.Kind) != kind {
					continue
				}
				g.kind = kind
				g.targets = mergeInts(g.targets, valid(rq.RunNums))
			}
			if g.kind == "" {
				continue
			}
			lk.groups = append(lk.groups, g)
			switch kind {
			case "prereq":
				lk.prereq = g.targets
			case "prerequired":
			default:
				lk.check = append(lk.check, g)
			}
		}
		for _, rq := range ch.Requisites {
			if rq.Kind == "listen" {
				lk.listen = mergeInts(lk.listen, valid(rq.RunNums))
			}
		}
		out[i] = lk
	}
	return out
}

// nodeName names a chunk in cycle messages: its ID, with its name when
// the ID has several chunks.
func (c *compiler) nodeName(i int) string {
	ch := c.chunks[i]
	if len(c.lookup[[2]string{"id", ch.ID}]) > 1 && ch.Name != ch.ID {
		return fmt.Sprintf("%s (%s %s)", ch.ID, ch.Fun, ch.Name)
	}
	if len(c.lookup[[2]string{"id", ch.ID}]) > 1 {
		return fmt.Sprintf("%s (%s)", ch.ID, ch.Fun)
	}
	return ch.ID
}

func orderNumber(ch *cchunk) (float64, bool) {
	switch v := ch.order.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// kahn sorts the DAG topologically; with less, always taking the least
// ready node.
func kahn(deps, dependents [][]int, less func(a, b int) bool) []int {
	n := len(deps)
	indeg := make([]int, n)
	for v := range deps {
		indeg[v] = len(deps[v])
	}
	h := &nodeHeap{less: less}
	for v := range n {
		if indeg[v] == 0 {
			h.nodes = append(h.nodes, v)
		}
	}
	heap.Init(h)
	out := make([]int, 0, n)
	for h.Len() > 0 {
		v := heap.Pop(h).(int)
		out = append(out, v)
		for _, w := range dependents[v] {
			indeg[w]--
			if indeg[w] == 0 {
				heap.Push(h, w)
			}
		}
	}
	return out
}

type nodeHeap struct {
	nodes []int
	less  func(a, b int) bool
}

func (h *nodeHeap) Len() int { return len(h.nodes) }
func (h *nodeHeap) Less(i, j int) bool {
	if h.less == nil {
		return h.nodes[i] < h.nodes[j]
	}
	return h.less(h.nodes[i], h.nodes[j])
}
func (h *nodeHeap) Swap(i, j int) { h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i] }
func (h *nodeHeap) Push(x any)    { h.nodes = append(h.nodes, x.(int)) }
func (h *nodeHeap) Pop() any {
	v := h.nodes[len(h.nodes)-1]
	h.nodes = h.nodes[:len(h.nodes)-1]
	return v
}

// findCycles returns one cycle (first node repeated at the end) per
// strongly connected component that has one, following dependency
// edges ("a requires b": a -> b).
func findCycles(deps [][]int) [][]int {
	n := len(deps)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	var cycles [][]int
	comp := make([]int, n)
	for i := range comp {
		comp[i] = -1
	}
	ncomp := 0
	// iterative Tarjan
	type frame struct{ v, ei int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.ei < len(deps[v]) {
				w := deps[v][f.ei]
				f.ei++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] {
				var members []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					members = append(members, w)
					if w == v {
						break
					}
				}
				self := false
				for _, d := range deps[v] {
					if d == v {
						self = true
					}
				}
				if len(members) > 1 || self {
					sort.Ints(members)
					cycles = append(cycles, cycleIn(deps, comp, ncomp, members[0]))
				}
				ncomp++
			}
		}
	}
	sort.Slice(cycles, func(i, j int) bool { return cycles[i][0] < cycles[j][0] })
	return cycles
}

// cycleIn finds a shortest cycle through start inside its component.
func cycleIn(deps [][]int, comp []int, c, start int) []int {
	prev := map[int]int{}
	queue := []int{start}
	seen := map[int]bool{start: true}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range deps[v] {
			if comp[w] != c {
				continue
			}
			if w == start {
				path := []int{v}
				for path[len(path)-1] != start {
					path = append(path, prev[path[len(path)-1]])
				}
				// path is v ... start backwards
				out := []int{start}
				for i := len(path) - 2; i >= 0; i-- {
					out = append(out, path[i])
				}
				return append(out, start)
			}
			if !seen[w] {
				seen[w] = true
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start, start}
}
