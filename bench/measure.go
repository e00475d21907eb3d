package main

import (
	"os"
	"os/exec"
	"time"
)

// ProcUsage is one process's share of a workload.
type ProcUsage struct {
	Name       string  `json:"name"`
	CPUSeconds float64 `json:"cpu_s"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	RSSMiB     float64 `json:"rss_mib"`
}

// meter measures CPU and peak RSS of every process over one workload.
type meter struct {
	names  []string
	procs  []*proc
	before []usage
}

// startMeter resets the processes' peak RSS and records their CPU so far.
func (b *bench) startMeter() *meter {
	m := &meter{}
	for _, p := range b.st.processes() {
		m.names = append(m.names, p.name)
		m.procs = append(m.procs, p)
	}
	m.names = append(m.names, "harness (load generator)")
	self, _ := os.FindProcess(os.Getpid())
	m.procs = append(m.procs, &proc{cmd: &exec.Cmd{Process: self}})
	for _, p := range m.procs {
		_ = resetPeak(p.pid())
		u, _ := usageOf(p)
		m.before = append(m.before, u)
	}
	return m
}

// stop returns each process's CPU seconds since start and its peak RSS.
func (m *meter) stop() []ProcUsage {
	out := make([]ProcUsage, len(m.procs))
	for i, p := range m.procs {
		u, _ := usageOf(p)
		out[i] = ProcUsage{
			Name:       m.names[i],
			CPUSeconds: round((u.CPU - m.before[i].CPU).Seconds(), 2),
			PeakRSSMiB: round(float64(u.PeakKiB)/1024, 1),
			RSSMiB:     round(float64(u.RSSKiB)/1024, 1),
		}
	}
	return out
}

func round(f float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if f < 0 {
		return -float64(int64(-f*p+0.5)) / p
	}
	return float64(int64(f*p+0.5)) / p
}

func secs(d time.Duration) float64 { return round(d.Seconds(), 3) }
