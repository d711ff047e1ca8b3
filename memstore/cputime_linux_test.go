//go:build linux

package memstore

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the CPU time the calling thread has used and the
// thread's ID, or ok false. Two readings on one thread measure what it
// ran between them: the goroutine, unless the runtime gave the thread to
// another one meanwhile.
func threadCPU() (cpu time.Duration, tid int, ok bool) {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	tid = syscall.Gettid()
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, 0, false
	}
	// A system call lets the runtime move the goroutine to another
	// thread: the reading is the thread's if it was on it throughout.
	return time.Duration(ts.Nano()), tid, syscall.Gettid() == tid
}
