package chip_test

import (
	"context"
	"fmt"
	"time"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A moving sum over the last three readings, one per reading: windows of 3
// that slide by 1. The last two readings are in full windows already, so
// END pushes no partial one.
func ExampleSlidingWindow() {
	p := pool.New("default", 16)
	readings, windows := pool.NewPend[int](p, ""), pool.NewPend[[]int](p, "")
	err := runlet.Run(context.Background(),
		chip.FromSlice("readings", readings, []int{1, 2, 3, 4, 5}),
		chip.SlidingWindow("last3", readings, windows, 3, 1),
		chip.ForEach("print", windows, func(w []int) error {
			sum := 0
			for _, v := range w {
				sum += v
			}
			fmt.Println(w, sum)
			return nil
		}),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// [1 2 3] 6
	// [2 3 4] 9
	// [3 4 5] 12
}

// click is a user's click with the time it happened.
type click struct {
	page string
	at   time.Duration // since midnight
}

// Clicks grouped into sessions by their own timestamps (event time): a
// pause of 30 minutes or more starts a new session.
func ExampleSessionWindow() {
	p := pool.New("default", 16)
	clicks, sessions := pool.NewPend[click](p, ""), pool.NewPend[[]click](p, "")
	midnight := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := runlet.Run(context.Background(),
		chip.FromSlice("clicks", clicks, []click{
			{"home", 9 * time.Hour}, {"cart", 9*time.Hour + 10*time.Minute}, {"pay", 9*time.Hour + 25*time.Minute},
			{"home", 14 * time.Hour}, {"faq", 14*time.Hour + 5*time.Minute},
		}),
		chip.SessionWindow("sessions", clicks, sessions, 30*time.Minute, chip.WindowConfig[click]{
			EventTime: func(c click) (time.Time, error) { return midnight.Add(c.at), nil },
		}),
		chip.ForEach("print", sessions, func(s []click) error {
			fmt.Printf("%d clicks from %v:", len(s), s[0].at)
			for _, c := range s {
				fmt.Print(" ", c.page)
			}
			fmt.Println()
			return nil
		}),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3 clicks from 9h0m0s: home cart pay
	// 2 clicks from 14h0m0s: home faq
}

// Readings counted per 10-second window, a window every 5 seconds: each
// reading is in two windows, the first of which starts before it.
func ExampleSlidingTimeWindow() {
	p := pool.New("default", 16)
	secs, windows := pool.NewPend[int](p, ""), pool.NewPend[[]int](p, "")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := runlet.Run(context.Background(),
		chip.FromSlice("readings", secs, []int{1, 4, 6, 12}),
		chip.SlidingTimeWindow("per10s", secs, windows, 10*time.Second, 5*time.Second, chip.WindowConfig[int]{
			EventTime: func(s int) (time.Time, error) { return start.Add(time.Duration(s) * time.Second), nil },
		}),
		chip.ForEach("print", windows, func(w []int) error { fmt.Println(w); return nil }),
	)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// [1 4]
	// [1 4 6]
	// [6 12]
	// [12]
}
