package chip

import "reflect"

// StateType returns the type of the chip's state, the S of its Config. A
// runlet checks it when a user casts to or calls the running chip
// (runlet.Cast, runlet.Call), so that a function on the wrong state type is
// refused with an error naming both types instead of a panic. It is safe to
// call from any goroutine.
func (f *Func[In, Out, S]) StateType() reflect.Type { return reflect.TypeFor[S]() }
