package runlet

import "github.com/runlet/runlet/internal/engine"

// FailCalls fails the Calls pending on chip with err and drops its Casts,
// as a restart of the chip does.
func FailCalls(r *Runlet, chip string, err error) { engine.FailCallsNow(r.e(), chip, err) }
