//go:build !linux

package memstore

import "time"

// threadCPU reports false: the benchmarks measure a thread's CPU time on
// Linux only.
func threadCPU() (cpu time.Duration, tid int, ok bool) { return 0, 0, false }
