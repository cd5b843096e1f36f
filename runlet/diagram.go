package runlet

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
)

// Diagrams of a runlet's graph, drawn from a Snapshot, so that a tool holding
// only the snapshot's JSON can draw them too.
//
// High level idea: chips are nodes; every pend that connects chips is an
// edge from each chip that pushes into it to each chip that pulls from it.
// A view of a logical pool stands for its viewees, so a push-only view
// (Duplicate, LoadBalance) gives an edge from its producer to the consumer
// of each viewee, and a pull-only view (Merge, Join2) an edge from the
// producer of each viewee to its consumer; either is labelled "view.viewee".
// A pend fed or drained from outside (PendInput, PendOutput) gets a node of
// its own for that side. A chip is drawn inside the pool of its next pend:
// that pool's budget is what holds its output back, and the edges leaving
// the box are that pool's pends. A logical pool is a box inside its inner
// pool's box. Edges come in the order their pends are first pushed to
// (pends fed from outside first, then chip order), so the text is the same
// for the same state.

// graph is the drawing of a snapshot, shared by the three renderings.
type graph struct {
	nodes  []gnode
	edges  []gedge
	groups []ggroup // one per pool but IO, in snapshot order
}

type gnode struct {
	id, label string
	outside   bool // a PendInput, PendOutput or nobody node, not a chip
	group     int  // index into groups, -1 for none
}

type gedge struct {
	from, to int // node indexes
	label    string
	limited  bool
	group    int // the group of the storage pool holding the pend
}

type ggroup struct {
	id, key, label string
	parent         int // a logical pool: its inner pool's group; else -1
	logical        bool
	views          []string // a logical pool: "view over a, b" lines, for ASCII
}

// end is one side of a pend: the node that pushes or pulls, and the view it
// goes through ("" for none).
type end struct {
	node int
	view string
}

// target is a storage pend (named by the key of its non-logical pool and
// its own) reached through a reference, and the view used.
type target struct {
	store engine.PendName
	view  string
}

// graph draws s: its pools as groups, its chips and outside handles as
// nodes, and an edge per pend from each of its writers to each of its
// readers.
func (s Snapshot) graph() *graph {
	b := &graphBuilder{s: s, g: &graph{}, pools: map[string]*PoolSnapshot{}, groupOf: map[string]int{},
		writers: map[engine.PendName][]end{}, readers: map[engine.PendName][]end{}}
	b.addGroups()
	b.addNodes()
	b.addEdges()
	return b.g
}

// graphBuilder is the working state of Snapshot.graph.
type graphBuilder struct {
	s                Snapshot
	g                *graph
	pools            map[string]*PoolSnapshot
	groupOf          map[string]int    // pool key -> index in g.groups
	order            []engine.PendName // storage pends in the order first met
	writers, readers map[engine.PendName][]end
}

// addGroups adds a group per pool but IO, a logical pool inside its inner
// pool's group.
func (b *graphBuilder) addGroups() {
	g := b.g
	for i := range b.s.Pools {
		p := &b.s.Pools[i]
		b.pools[p.Key] = p
		if p.Kind == pool.IO.String() {
			continue
		}
		b.groupOf[p.Key] = len(g.groups)
		g.groups = append(g.groups, ggroup{id: "p" + strconv.Itoa(len(g.groups)), key: p.Key, parent: -1})
	}
	for i := range b.s.Pools {
		p := &b.s.Pools[i]
		gi, ok := b.groupOf[p.Key]
		if !ok {
			continue
		}
		gr := &g.groups[gi]
		if p.Kind == pool.Logical.String() {
			gr.logical = true
			gr.label = p.Key + " (logical)"
			if pi, ok := b.groupOf[p.Inner]; ok {
				gr.parent = pi
			}
			for _, v := range p.Pends {
				gr.views = append(gr.views, fmt.Sprintf("%s over %s", v.Key, strings.Join(v.Viewees, ", ")))
			}
			continue
		}
		gr.label = fmt.Sprintf("%s %d/%s high %d", p.Key, p.Size, limitText(p.Limit), p.High)
		if p.Kind != pool.Count.String() {
			gr.label += " " + p.Kind
		}
	}
}

// resolve names the storage pends a reference stands for.
func (b *graphBuilder) resolve(poolKey, pend string) []target {
	p := b.pools[poolKey]
	if p == nil || p.Kind == pool.IO.String() {
		return nil
	}
	if p.Kind != pool.Logical.String() {
		return []target{{engine.PendName{Pool: poolKey, Pend: pend}, ""}}
	}
	for _, v := range p.Pends {
		if v.Key == pend {
			out := make([]target, len(v.Viewees))
			for i, vv := range v.Viewees {
				out[i] = target{engine.PendName{Pool: p.Inner, Pend: vv}, pend}
			}
			return out
		}
	}
	return []target{{engine.PendName{Pool: p.Inner, Pend: pend}, ""}}
}

// note records node as a writer or reader (m) of the pends of ref (poolKey,
// pend).
func (b *graphBuilder) note(m map[engine.PendName][]end, poolKey, pend string, node int) {
	for _, t := range b.resolve(poolKey, pend) {
		if _, ok := b.writers[t.store]; !ok {
			if _, ok := b.readers[t.store]; !ok {
				b.order = append(b.order, t.store)
			}
		}
		m[t.store] = append(m[t.store], end{node, t.view})
	}
}

func (b *graphBuilder) addNode(n gnode) int {
	b.g.nodes = append(b.g.nodes, n)
	return len(b.g.nodes) - 1
}

func (b *graphBuilder) groupFor(poolKey string) int {
	if gi, ok := b.groupOf[poolKey]; ok {
		return gi
	}
	return -1
}

// outside adds a node for a PendInput, a PendOutput or nobody.
func (b *graphBuilder) outside(label string, group int) int {
	return b.addNode(gnode{id: "x" + strconv.Itoa(len(b.g.nodes)-len(b.s.Chips)), label: label, outside: true, group: group})
}

// addNodes adds a node per chip (node i is chip i) and per passive handle,
// and notes who writes and reads each pend: handles that feed first, then
// chips' next pends, chips' prev pends, and handles that drain.
func (b *graphBuilder) addNodes() {
	s := b.s
	for i, c := range s.Chips {
		kind := "sync"
		if c.Async {
			kind = fmt.Sprintf("async x%d", c.Concurrency)
		}
		b.addNode(gnode{id: "c" + strconv.Itoa(i), label: fmt.Sprintf("%s (%s, %s%s)", c.Key, kind, c.State, statLabel(s, c)), group: b.groupFor(c.NextPool)})
	}
	for _, p := range s.Pools {
		for _, k := range p.PendInputs {
			b.note(b.writers, p.Key, k, b.outside("PendInput", b.groupFor(p.Key)))
		}
	}
	for i, c := range s.Chips {
		b.note(b.writers, c.NextPool, c.NextPend, i)
	}
	for i, c := range s.Chips {
		b.note(b.readers, c.PrevPool, c.PrevPend, i)
	}
	for _, p := range s.Pools {
		for _, k := range p.PendOutputs {
			b.note(b.readers, p.Key, k, b.outside("PendOutput", -1))
		}
	}
}

// addEdges adds an edge per pend from each writer to each reader; a pend
// with none on a side gets a "nobody" node there.
func (b *graphBuilder) addEdges() {
	for _, st := range b.order {
		ws, rs := b.writers[st], b.readers[st]
		if len(ws) == 0 {
			ws = []end{{b.outside("nobody", -1), ""}}
		}
		if len(rs) == 0 {
			rs = []end{{b.outside("nobody", -1), ""}}
		}
		ps := pendOf(b.pools[st.Pool], st.Pend)
		for _, w := range ws {
			for _, r := range rs {
				b.g.edges = append(b.g.edges, gedge{
					from: w.node, to: r.node,
					label:   edgeLabel(st.Pend, w.view, r.view, ps),
					limited: ps != nil && ps.Limited,
					group:   b.groupFor(st.Pool),
				})
			}
		}
	}
}

// pendOf finds pend key in p, or nil.
func pendOf(p *PoolSnapshot, key string) *pool.PendSnapshot {
	if p == nil {
		return nil
	}
	for i := range p.Pends {
		if p.Pends[i].Key == key {
			return &p.Pends[i]
		}
	}
	return nil
}

// edgeLabel is "pend size/limit" ("pend size" without a pend limit), the
// pend prefixed with the views it is reached through, and " limited" when
// the pend is.
func edgeLabel(pend, pushView, pullView string, ps *pool.PendSnapshot) string {
	var b strings.Builder
	switch {
	case pushView != "" && pullView != "":
		b.WriteString(pushView + "+" + pullView + ".")
	case pushView != "":
		b.WriteString(pushView + ".")
	case pullView != "":
		b.WriteString(pullView + ".")
	}
	b.WriteString(pend)
	if ps == nil {
		return b.String()
	}
	fmt.Fprintf(&b, " %d", ps.Size)
	if ps.Limit >= 0 {
		fmt.Fprintf(&b, "/%d", ps.Limit)
	}
	if ps.Limited {
		b.WriteString(" limited")
	}
	return b.String()
}

// members returns the nodes and the child groups of group gi (-1: the top
// level), in order.
func (g *graph) members(gi int) (nodes, groups []int) {
	for i, n := range g.nodes {
		if n.group == gi {
			nodes = append(nodes, i)
		}
	}
	for i, gr := range g.groups {
		if gr.parent == gi && g.used(i) {
			groups = append(groups, i)
		}
	}
	return nodes, groups
}

// used reports whether group gi holds a node, itself or in a child group.
func (g *graph) used(gi int) bool {
	for _, n := range g.nodes {
		if n.group == gi {
			return true
		}
	}
	for i, gr := range g.groups {
		if gr.parent == gi && g.used(i) {
			return true
		}
	}
	return false
}

// walk draws group gi (-1: the top level) at depth: open, then its child
// groups and its nodes one level deeper, then close.
func (g *graph) walk(gi, depth int, open, node, close func(i, depth int)) {
	nodes, groups := g.members(gi)
	inner := depth
	if gi >= 0 {
		open(gi, depth)
		inner++
	}
	for _, c := range groups {
		g.walk(c, inner, open, node, close)
	}
	for _, i := range nodes {
		node(i, inner)
	}
	if gi >= 0 {
		close(gi, depth)
	}
}

// statLabel is what a chip's node label adds with statistics on:
// ", load P%", then ", BOTTLENECK" for the bottleneck chip.
func statLabel(s Snapshot, c ChipSnapshot) string {
	if c.Stats == nil {
		return ""
	}
	l := fmt.Sprintf(", load %.0f%%", 100*c.Stats.Load)
	if s.Flow != nil && s.Flow.Bottleneck != nil && s.Flow.Bottleneck.Chip == c.Key {
		l += ", BOTTLENECK"
	}
	return l
}

// Mermaid returns the runlet's graph as a Mermaid flowchart (left to
// right): chips are nodes labelled "key (sync|async xN, state)" (state as in
// [ChipSnapshot.State]; with statistics on, then ", load P%" and, on the
// bottleneck chip, ", BOTTLENECK"); pends are edges from the chip that pushes to the
// chip that pulls, labelled "pend size/limit" (thick while the pend is
// limited); a view of a logical pool is followed to its viewees, and the
// edge is labelled "view.viewee". Each chip sits in a subgraph for the pool
// of its next pend (a logical pool's subgraph inside its inner pool's);
// pends fed or drained from outside start or end at a PendInput or
// PendOutput node. Labels are quoted, with Mermaid's entity codes for
// characters that would break the syntax. The text is deterministic: chip
// order, then pool order.
func (s Snapshot) Mermaid() string {
	g := s.graph()
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	g.walk(-1, 1,
		func(gi, depth int) {
			fmt.Fprintf(&b, "%ssubgraph %s [\"%s\"]\n", strings.Repeat("    ", depth), g.groups[gi].id, mermaidText(g.groups[gi].label))
		},
		func(i, depth int) {
			n := g.nodes[i]
			open, close := "[", "]"
			if n.outside {
				open, close = "([", "])"
			}
			fmt.Fprintf(&b, "%s%s%s\"%s\"%s\n", strings.Repeat("    ", depth), n.id, open, mermaidText(n.label), close)
		},
		func(_, depth int) { b.WriteString(strings.Repeat("    ", depth) + "end\n") })
	for _, e := range g.edges {
		arrow := "-->"
		if e.limited {
			arrow = "==>"
		}
		fmt.Fprintf(&b, "    %s %s|\"%s\"| %s\n", g.nodes[e.from].id, arrow, mermaidText(e.label), g.nodes[e.to].id)
	}
	return b.String()
}

// mermaidText escapes s for a quoted Mermaid label: characters that end the
// string, start an entity code, markup or Markdown become entity codes;
// control characters become spaces.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '#':
			b.WriteString("#35;")
		case r == '<':
			b.WriteString("#lt;")
		case r == '>':
			b.WriteString("#gt;")
		case r == '&':
			b.WriteString("#amp;")
		case r == '`':
			b.WriteString("#96;")
		case r == '|':
			b.WriteString("#124;")
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DOT returns the runlet's graph in Graphviz's DOT language, the same
// drawing as [Snapshot.Mermaid]: chips are box nodes, pends are labelled
// edges (bold and red while limited), pools are clusters (a logical pool's
// inside its inner pool's), PendInput and PendOutput are ellipses. Render
// it with, say, dot -Tsvg.
func (s Snapshot) DOT() string {
	g := s.graph()
	var b strings.Builder
	b.WriteString("digraph runlet {\n\trankdir=LR;\n\tnode [shape=box];\n")
	g.walk(-1, 1,
		func(gi, depth int) {
			ind := strings.Repeat("\t", depth)
			fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s\tlabel=%s;\n", ind, g.groups[gi].id, ind, dotText(g.groups[gi].label))
		},
		func(i, depth int) {
			n := g.nodes[i]
			shape := ""
			if n.outside {
				shape = ", shape=ellipse"
			}
			fmt.Fprintf(&b, "%s%s [label=%s%s];\n", strings.Repeat("\t", depth), n.id, dotText(n.label), shape)
		},
		func(_, depth int) { b.WriteString(strings.Repeat("\t", depth) + "}\n") })
	for _, e := range g.edges {
		style := ""
		if e.limited {
			style = ", color=red, penwidth=2"
		}
		fmt.Fprintf(&b, "\t%s -> %s [label=%s%s];\n", g.nodes[e.from].id, g.nodes[e.to].id, dotText(e.label), style)
	}
	b.WriteString("}\n")
	return b.String()
}

// dotText quotes s as a DOT string: backslashes and quotes are escaped, so
// that no label escape (\n, \l, \N...) is read into a key; control
// characters become spaces.
func dotText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ASCII returns the runlet's graph as plain text for a terminal: a line for
// the runlet's state, a table of the chips (key, sync or async xN, state,
// and whether it is an input or output chip; with statistics on, then its
// load and BOTTLENECK on the bottleneck chip), then one block per pool with
// one line per edge, "[from] --pend size/limit--> [to]", the same edges as
// [Snapshot.Mermaid], and a logical pool's views as "logical <pool>: <view>
// over <viewees>" lines in its inner pool's block. PendInput, PendOutput
// and nobody nodes print in parentheses. Control characters in keys print
// as '?'.
func (s Snapshot) ASCII() string {
	g := s.graph()
	var b strings.Builder
	b.WriteString("runlet " + s.State)
	if s.Paused {
		b.WriteString(", paused")
	}
	if s.Err != "" {
		b.WriteString(": " + asciiText(firstLine(s.Err)))
	}
	b.WriteByte('\n')
	if len(s.Chips) > 0 {
		b.WriteString("chips\n")
		var t strings.Builder
		tw := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
		for _, c := range s.Chips {
			kind := "sync"
			if c.Async {
				kind = fmt.Sprintf("async x%d", c.Concurrency)
			}
			role := ""
			switch {
			case c.PrevPool == pool.IOKey:
				role = "input"
			case c.NextPool == pool.IOKey:
				role = "output"
			}
			if c.Stats != nil { // with statistics: "load P%[, BOTTLENECK]"
				role += "\t" + strings.TrimPrefix(statLabel(s, c), ", ")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", asciiText(c.Key), kind, c.State, role)
		}
		tw.Flush()
		for _, line := range strings.SplitAfter(t.String(), "\n") {
			b.WriteString(strings.TrimRight(line, " \n"))
			if line != "" {
				b.WriteByte('\n')
			}
		}
	}
	name := func(i int) string {
		n := g.nodes[i]
		if n.outside {
			return "(" + n.label + ")"
		}
		return "[" + asciiText(s.Chips[i].Key) + "]"
	}
	for gi, gr := range g.groups {
		if gr.logical {
			continue
		}
		b.WriteString("pool " + asciiText(gr.label) + "\n")
		for _, e := range g.edges {
			if e.group == gi {
				fmt.Fprintf(&b, "  %s --%s--> %s\n", name(e.from), asciiText(e.label), name(e.to))
			}
		}
		for _, lg := range g.groups {
			if lg.logical && lg.parent == gi {
				for _, v := range lg.views {
					fmt.Fprintf(&b, "  logical %s: %s\n", asciiText(lg.key), asciiText(v))
				}
			}
		}
	}
	return b.String()
}

// asciiText replaces control characters with '?', so that a key cannot
// break a line.
func asciiText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
