// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations, on a word private to this process.
const (
	futexWaitPrivate = 0 | 128
	futexWakePrivate = 1 | 128
)

// wakeUpRounds is how many wake-ups each half of the probe makes.
const wakeUpRounds = 300

// ProbeWakeUps measures how the kernel wakes threads; it takes about a
// fifth of a second.
func ProbeWakeUps() WakeUp {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil || allowed.Count() < 2 {
		return WakeUp{}
	}
	cpus := cpuList(allowed)
	pinned, err := measureWakeUps(cpus[0], cpuSetOf(cpus[1]), wakeUpRounds)
	if err != nil {
		return WakeUp{}
	}
	free, err := measureWakeUps(cpus[0], allowed, wakeUpRounds)
	if err != nil {
		return WakeUp{}
	}
	return WakeUp{
		Measured:   true,
		OtherCPU:   time.Duration(median(pinned.latencies)),
		OnWakerCPU: float64(free.onWakerCPU) / float64(len(free.latencies)),
	}
}

// wakeUps is the outcome of measureWakeUps.
type wakeUps struct {
	latencies  []float64 // nanoseconds from each wake-up to the woken thread running
	onWakerCPU int       // how many of them ran on the waker's CPU
}

// measureWakeUps has a thread pinned to wakerCPU wake, n times, a thread
// allowed to run on wakeeCPUs from its sleep in futex(2), spinning before
// each wake-up and until the woken thread has run.
func measureWakeUps(wakerCPU int, wakeeCPUs unix.CPUSet, n int) (wakeUps, error) {
	p := &wakeProbe{woke: make([]int64, n), ran: make([]int64, n), ranOn: make([]int, n), start: time.Now()}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	// Owner: this function, through wg. Each goroutine locks its thread and
	// exits without unlocking it, so that the runtime ends the thread
	// rather than reuse it with the affinity set here.
	go func() {
		defer wg.Done()
		errs[0] = p.wakee(wakeeCPUs, n)
	}()
	go func() {
		defer wg.Done()
		errs[1] = p.waker(wakerCPU, n)
	}()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return wakeUps{}, err
	}
	w := wakeUps{latencies: make([]float64, n)}
	for i := range n {
		w.latencies[i] = float64(p.ran[i] - p.woke[i])
		if p.ranOn[i] == wakerCPU {
			w.onWakerCPU++
		}
	}
	return w, nil
}

// wakeProbe is the state the two threads of measureWakeUps share.
type wakeProbe struct {
	word  atomic.Uint32 // 1: wake up; the woken thread sets it back to 0
	stop  atomic.Bool   // the waker has given up: the wakee must not wait
	start time.Time     // times are nanoseconds since start
	woke  []int64       // written by the waker
	ran   []int64       // written by the wakee
	ranOn []int         // written by the wakee: the CPU it ran on
}

// errWakeUpLost means that a woken thread did not run within a second.
var errWakeUpLost = errors.New("harness: a woken thread did not run within a second")

// wakee is the thread that sleeps: allowed on cpus, it waits n times for
// word to become 1, notes when and where it ran, and sets word back to 0.
func (p *wakeProbe) wakee(cpus unix.CPUSet, n int) error {
	runtime.LockOSThread()
	if err := unix.SchedSetaffinity(0, &cpus); err != nil {
		return err
	}
	for i := range n {
		for p.word.Load() == 0 {
			if p.stop.Load() {
				return nil
			}
			futex(&p.word, futexWaitPrivate, 0)
		}
		p.ran[i] = int64(time.Since(p.start))
		p.ranOn[i] = currentCPU()
		p.word.Store(0)
	}
	return nil
}

// waker is the busy thread: pinned to cpu, it lets the wakee fall asleep,
// spins, wakes it, and spins until it has run, n times; on its way out it
// releases the wakee whatever happened.
func (p *wakeProbe) waker(cpu int, n int) error {
	runtime.LockOSThread()
	defer func() {
		p.stop.Store(true)
		p.word.Store(1)
		futex(&p.word, futexWakePrivate, 1)
	}()
	set := cpuSetOf(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return err
	}
	for i := range n {
		time.Sleep(200 * time.Microsecond) // the wakee goes to sleep
		spin(50 * time.Microsecond)        // the waker's CPU is busy
		p.woke[i] = int64(time.Since(p.start))
		p.word.Store(1)
		futex(&p.word, futexWakePrivate, 1)
		deadline := time.Now().Add(time.Second)
		for p.word.Load() != 0 { // busy until the wakee has run
			if time.Now().After(deadline) {
				return errWakeUpLost
			}
		}
	}
	return nil
}

// futex calls futex(2) on word with op and val, ignoring the outcome: the
// callers check word themselves.
func futex(word *atomic.Uint32, op int, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), uintptr(op), uintptr(val), 0, 0, 0)
}

// currentCPU returns the CPU the calling thread runs on.
func currentCPU() int {
	var cpu uint32
	unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	return int(cpu)
}

// cpuList returns the CPUs in set, in increasing order.
func cpuList(set unix.CPUSet) []int {
	var cpus []int
	for cpu := 0; len(cpus) < set.Count(); cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus
}

// cpuSetOf returns the set of the given CPUs.
func cpuSetOf(cpus ...int) unix.CPUSet {
	var set unix.CPUSet
	for _, cpu := range cpus {
		set.Set(cpu)
	}
	return set
}
