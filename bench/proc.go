package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// proc is one child process of the harness, in its own process group so
// that killing the group also ends anything it started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
	// group: measure the process with its children (a postmaster and
	// its backends) with readGroupUsage.
	group bool
}

// procs are every child started; killAll ends them all.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// start runs bin with args and env (added to the harness's environment);
// stdout and stderr go to dir/name.log.
func (ps *procs) start(dir, name, bin string, args, env []string) (*proc, error) {
	return ps.startAs(dir, name, bin, args, env, nil)
}

// startAs is start with the process run as cred's user (nil: the
// harness's): PostgreSQL refuses to run as root.
func (ps *procs) startAs(dir, name, bin string, args, env []string, cred *syscall.Credential) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// all is every child started and not yet killed by killAll.
func (ps *procs) all() []*proc {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Clone(ps.list)
}

// killAll kills every child's process group and waits (bounded) for them.
func (ps *procs) killAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for _, p := range list {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, p := range list {
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			fmt.Fprintf(os.Stderr, "bench: %s (pid %d) did not exit after SIGKILL\n", p.name, p.cmd.Process.Pid)
		}
	}
}

// stop kills p's process group and waits (bounded) for it to exit.
func (p *proc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		fmt.Fprintf(os.Stderr, "bench: %s (pid %d) did not exit after SIGKILL\n", p.name, p.cmd.Process.Pid)
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited returns an error naming the process and its log tail once it has
// ended, nil while it runs.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v); last log lines:\n%s", p.name, p.err, tail(p.log, 15))
	default:
		return nil
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// usage is a process's CPU time so far and its memory figures.
type usage struct {
	CPU     time.Duration
	RSSKiB  int64 // VmRSS
	PeakKiB int64 // VmHWM since start or the last resetPeak
}

// readUsage reads /proc/<pid>/stat (utime+stime) and /proc/<pid>/status.
func readUsage(pid int) (usage, error) {
	var u usage
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return u, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return u, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u.CPU = time.Duration(ut+st) * time.Second / clockTicks
	u.RSSKiB, u.PeakKiB, err = readStatus(pid)
	return u, err
}

func readStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseStatus(f)
}

func parseStatus(r io.Reader) (rss, hwm int64, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, sc.Err()
}

// resetPeak resets VmHWM to the current RSS (clear_refs "5"), so that the
// next peak read is the peak of one workload.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// usageOf is p's usage: readUsage, or readGroupUsage for a group.
func usageOf(p *proc) (usage, error) {
	if p.group {
		return readGroupUsage(p.pid())
	}
	return readUsage(p.pid())
}

// readGroupUsage is the usage of the process pid and its children (a
// postmaster and its backends, each in a session of its own): the CPU of
// each plus what pid reaped from ended ones (its cutime+cstime), and the
// sum of their Pss (proportional set size: shared memory such as
// shared_buffers counted once, not per backend) as both RSS and peak.
func readGroupUsage(pid int) (usage, error) {
	var u usage
	err := eachFamily(pid, func(n int, f []string) {
		last := 12 // utime, stime
		if n == pid {
			last = 14 // and cutime, cstime
		}
		ticks := int64(0)
		for _, v := range f[11 : last+1] {
			t, _ := strconv.ParseInt(v, 10, 64)
			ticks += t
		}
		u.CPU += time.Duration(ticks) * time.Second / clockTicks
		u.RSSKiB += readPss(n)
	})
	u.PeakKiB = u.RSSKiB
	return u, err
}

// eachFamily calls fn for the process pid and each of its children with
// the fields of /proc/<n>/stat after the command name (f[0] is field 3,
// the state; f[1] field 4, the parent; f[11] and f[12] utime and stime;
// f[13] and f[14] cutime and cstime).
func eachFamily(pid int, fn func(n int, f []string)) error {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	parent := strconv.Itoa(pid)
	for _, d := range dirs {
		n, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 15 || (n != pid && f[1] != parent) {
			continue
		}
		fn(n, f)
	}
	return nil
}

// readPss is the Pss line of /proc/<pid>/smaps_rollup in KiB (0 if
// unreadable).
func readPss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
