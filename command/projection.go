package command

// The executor tells a command that builds records which of their fields
// the rest of the pipeline can read, so that fields builds only those: in
// `lines | fields ws host | count-by host` nothing after fields reads more
// than host, and a record of one field costs a fraction of one of twelve.
// Only built-ins that say what they read take part (reads); the rest of
// the pipeline must end in one that does not pass its input on (count-by,
// count), through ones that pass it on unchanged (where, grep, head, top,
// unique). Anything else (the end of the pipeline, map, write, an alias, a
// Go command, -timeout) may read every field, and then nothing changes.

// setReads records what built-in name reads of its input.
func (r *Registry) setReads(name string, reads func(Args) ([]string, bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cmds[name]; c != nil {
		c.reads = reads
	}
}

// project sets, on each step, the fields that the steps after it read of
// its output, where they are known.
func project(steps []step) {
	for i := range steps {
		only := map[string]bool{}
		known := false
		for _, st := range steps[i+1:] {
			if st.cmd.reads == nil || st.inv.Timeout > 0 {
				break
			}
			fields, passes := st.cmd.reads(st.args)
			for _, f := range fields {
				only[f] = true
			}
			if !passes {
				known = true
				break
			}
		}
		if known {
			steps[i].args.only = only
		}
	}
}

// readsField is reads for a command that reads argument arg (def when it
// is left out) and passes its input on or not.
func readsField(arg, def string, passes bool) func(Args) ([]string, bool) {
	return func(a Args) ([]string, bool) {
		f := a.String(arg)
		if f == "" {
			f = def
		}
		if f == "" {
			return nil, passes
		}
		return []string{f}, passes
	}
}

// registerReads says what the built-ins that take part in project read.
func registerReads(r *Registry) {
	r.setReads("count-by", readsField("FIELD", "", false))
	r.setReads("count", readsField("", "", false))
	r.setReads("where", readsField("FIELD", "", true))
	r.setReads("grep", readsField("FIELD", "line", true))
	r.setReads("head", readsField("", "", true))
	r.setReads("top", readsField("FIELD", "count", true))
	r.setReads("unique", readsField("FIELD", "", true))
}
