package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/attack"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// attackerEnv hands the gateway's device address to the attacker process.
const attackerEnv = "WASMBED_BENCH_ATTACKER"

// attackReport is what the attacker process did, printed as its last line.
type attackReport struct {
	FloodAttempts   int
	FloodReasons    map[refusal.Reason]int
	FloodClosed     int // closed by the gateway before the handshake
	FloodUnanswered int
	SlowlorisConns  int
	CPU             time.Duration // the attacker process's user+system time
}

// TestAttackerProcess is not a test: it is the attacker that
// BenchmarkHeartbeatAckUnderAttack starts as a separate process, as an
// attacker is a separate host, so that its own CPU use and garbage
// collection do not run inside the process whose devices are measured. It
// holds a slowloris of 200 connections and runs an enrolment flood from
// one address, 8 attempts at a time, against $WASMBED_BENCH_ATTACKER until
// its standard input closes, then prints an attackReport.
func TestAttackerProcess(t *testing.T) {
	addr := os.Getenv(attackerEnv)
	if addr == "" {
		t.Skip("the benchmark's attacker process: runs only when BenchmarkHeartbeatAckUnderAttack starts it")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	var rep attackReport
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		rep.SlowlorisConns = (&attack.Slowloris{Addr: addr, LocalIP: "127.20.0.1"}).Hold(ctx, 200)
	}()
	go func() {
		defer wg.Done()
		res := (&attack.EnrollFlood{Addr: addr, LocalIP: "127.20.0.2", Workers: 8}).Run(ctx, 0)
		rep.FloodAttempts, rep.FloodReasons, rep.FloodClosed, rep.FloodUnanswered = res.Attempts, res.Reasons, res.Closed, res.Errors
	}()
	wg.Wait()
	b, _ := json.Marshal(rep)
	fmt.Printf("\nATTACK %s\n", b)
}

// attacker is a running attacker process.
type attacker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

// startAttacker starts the attacker process at the lowest CPU priority
// (nice 19, through coreutils' nice so that every thread of it inherits
// the priority). A real attacker is another host: on a 2-core machine its
// own CPU would otherwise be charged to the gateway it attacks, and the
// figure would measure the machine rather than the gateway's defences. The
// attack still gets every idle cycle, and the benchmark reports the rate it
// reached, so a weaker attack shows.
func startAttacker(addr string) (*attacker, error) {
	nice, err := exec.LookPath("nice")
	if err != nil {
		return nil, fmt.Errorf("the attacker runs under coreutils' nice: %w", err)
	}
	a := &attacker{cmd: exec.Command(nice, "-n", "19", os.Args[0], "-test.run=^TestAttackerProcess$", "-test.bench=^$")}
	a.cmd.Env = append(os.Environ(), attackerEnv+"="+addr)
	a.cmd.Stdout = &a.out
	a.cmd.Stderr = &a.out
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	return a, a.cmd.Start()
}

// stop ends the attack and returns the attacker's report.
func (a *attacker) stop() (attackReport, error) {
	a.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		err = <-done
	}
	var rep attackReport
	sc := bufio.NewScanner(strings.NewReader(a.out.String()))
	found := false
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "ATTACK "); ok {
			found = json.Unmarshal([]byte(line), &rep) == nil
		}
	}
	if !found {
		return rep, fmt.Errorf("the attacker process reported nothing (%v): %s", err, a.out.String())
	}
	if st := a.cmd.ProcessState; st != nil {
		rep.CPU = st.UserTime() + st.SystemTime()
	}
	return rep, nil
}
