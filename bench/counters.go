package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counters are the brokers' message and command totals: their growth over
// a workload divided by its deliveries is the round trips per delivery.
type Counters struct {
	NATSIn     int64 `json:"nats_in_msgs"`
	NATSOut    int64 `json:"nats_out_msgs"`
	RedisCalls int64 `json:"redis_commands"`
}

func (b *bench) counters(ctx context.Context) (Counters, error) {
	var c Counters
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.st.natsMon+"/varz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, fmt.Errorf("nats varz: %w", err)
	}
	defer resp.Body.Close()
	var v struct {
		InMsgs  int64 `json:"in_msgs"`
		OutMsgs int64 `json:"out_msgs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return c, fmt.Errorf("nats varz: %w", err)
	}
	c.NATSIn, c.NATSOut = v.InMsgs, v.OutMsgs
	rdb := redis.NewClient(&redis.Options{Addr: b.st.redisAddr})
	defer rdb.Close()
	info, err := rdb.Info(ctx, "stats").Result()
	if err != nil {
		return c, fmt.Errorf("redis info: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			c.RedisCalls, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return c, nil
}

// PerDelivery is the brokers' work per delivery over a workload.
type PerDelivery struct {
	NATSMsgs      float64            `json:"nats_msgs"` // in + out, as the server counts them
	RedisCommands float64            `json:"redis_commands"`
	CPUMicros     map[string]float64 `json:"cpu_us"`
}

func perDelivery(before, after Counters, procs []ProcUsage, n int64) PerDelivery {
	p := PerDelivery{CPUMicros: map[string]float64{}}
	if n <= 0 {
		return p
	}
	p.NATSMsgs = round(float64(after.NATSIn-before.NATSIn+after.NATSOut-before.NATSOut)/float64(n), 2)
	p.RedisCommands = round(float64(after.RedisCalls-before.RedisCalls)/float64(n), 2)
	for _, u := range procs {
		p.CPUMicros[u.Name] = round(u.CPUSeconds*1e6/float64(n), 1)
	}
	return p
}

// tasksHeld is the dispatcher's count of tasks held in Redis so far
// (hookwire_tasks_held_total): tasks that found their lane or the
// process's waiting budget full and took the slow way round.
func (b *bench) tasksHeld(ctx context.Context) float64 {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.st.metrics["dispatcher"]+"/metrics", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "hookwire_tasks_held_total") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			total += v
		}
	}
	return total
}
