package chip_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// drainAfter runs r, drains it after wait (fake time) from another
// goroutine, and checks that both return nil.
func drainAfter(t *testing.T, r *runlet.Runlet, wait time.Duration, during func()) {
	t.Helper()
	drained := make(chan error, 1)
	go func() {
		time.Sleep(wait)
		drained <- r.Drain(context.Background())
		if during != nil {
			during()
		}
	}()
	require.NoError(t, r.Run(context.Background()), r.Describe())
	require.NoError(t, <-drained)
}

// Lines stops reading at the drain: a Read in progress returns what it
// reads (that line is pushed), and no other Read is made; r is not closed.
func TestLinesDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		p := pool.New("p", 16)
		lines := pool.NewPend[string](p, "lines")
		var got []string
		r := runlet.New([]chip.Chip{chip.Lines("in", lines, pr), chip.Collect("out", lines, &got)}, runlet.Config{})
		go func() {
			for i := range 3 {
				fmt.Fprintf(pw, "line %d\n", i)
			}
			time.Sleep(2 * time.Second) // the drain comes at 1s, while Lines waits in a Read
			fmt.Fprintf(pw, "line 3\nline 4\n")
		}()
		drainAfter(t, r, time.Second, nil)
		assert.Equal(t, []string{"line 0", "line 1", "line 2", "line 3", "line 4"}, got,
			"the lines of the Read in progress at the drain are pushed")
		done := make(chan error, 1)
		go func() { _, err := fmt.Fprintf(pw, "line 5\n"); done <- err }()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("Lines read after the drain")
		default:
		}
		pr.Close()
		assert.Error(t, <-done)
	})
}

// FromSeq stops pulling its sequence at the drain, and stops it.
func TestFromSeqDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *runlet.Runlet
		drained := make(chan error, 1)
		stopped := false
		seq := iter.Seq[int](func(yield func(int) bool) {
			defer func() { stopped = true }()
			for i := 0; ; i++ {
				if i == 3000 {
					go func() { drained <- r.Drain(context.Background()) }()
				}
				if !yield(i) {
					return
				}
			}
		})
		p := pool.New("p", 16)
		a := pool.NewPend[int](p, "a")
		n, next := 0, 0
		r = runlet.New([]chip.Chip{chip.FromSeq("in", a, seq), chip.ForEach("out", a, func(v int) error {
			if v != next {
				return fmt.Errorf("got %d, want %d", v, next)
			}
			n, next = n+1, next+1
			return nil
		})}, runlet.Config{})
		require.NoError(t, r.Run(context.Background()))
		require.NoError(t, <-drained)
		assert.Greater(t, n, 3000)
		assert.True(t, stopped, "the sequence was stopped")
	})
}

// FromReader stops reading at the drain: the chunks read are pushed whole.
func TestFromReaderDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		bufs := pool.NewBuffers(4)
		p := pool.NewBytes("p", 64)
		a := pool.NewPend[[]byte](p, "a")
		var sb strings.Builder
		r := runlet.New([]chip.Chip{
			chip.FromReader("in", a, pr, bufs),
			chip.ForEach("out", a, func(b []byte) error { sb.Write(b); return nil }),
		}, runlet.Config{})
		go func() {
			io.WriteString(pw, "abcdefgh")
			time.Sleep(2 * time.Second) // the drain comes at 1s, during a Read
			io.WriteString(pw, "ijkl")
		}()
		drainAfter(t, r, time.Second, nil)
		assert.Equal(t, "abcdefghijkl", sb.String())
		pr.Close()
	})
}
