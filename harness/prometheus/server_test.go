package prometheus

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestStartTakesAnotherPortWhenItsPortIsTaken: the first port Start tries
// is held by another listener, one that accepts connections and never
// answers; Start must notice its server failed to bind, try another port,
// and come up there with the SUT's rules loaded and evaluated. Stop must
// leave nothing behind.
func TestStartTakesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	g := gomega.NewWithT(t)
	// Waits are on Prometheus's observable state; this only bounds how
	// long a broken server makes the test hang.
	g.SetDefaultEventuallyTimeout(time.Minute)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	picks := 0
	pickPort = func() (int, error) {
		picks++
		if picks == 1 {
			return takenPort, nil
		}
		return candidatePort()
	}
	defer func() { pickPort = candidatePort }()

	ctx := context.Background()
	srv, err := Start(ctx, Options{Name: "port-test"})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer srv.Stop()
	g.Expect(picks).To(gomega.BeNumerically(">=", 2), "Start never retried")
	g.Expect(srv.URL).NotTo(gomega.HaveSuffix(":" + strconv.Itoa(takenPort)))
	log, err := os.ReadFile(srv.LogPath())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(string(log)).To(gomega.ContainSubstring("address already in use"))

	// Every rule of sut/config/prometheus is loaded and evaluates without
	// error (with no targets, to empty results).
	g.Eventually(func(g gomega.Gomega) {
		rules, err := srv.Client.Rules(ctx)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		g.Expect(rules).To(gomega.HaveLen(17))
		for _, r := range rules {
			g.Expect(r.Health).To(gomega.Equal("ok"), "%s: %s", r.Name, r.LastError)
			g.Expect(r.LastEvaluation.IsZero()).To(gomega.BeFalse(), "%s never evaluated", r.Name)
		}
	}).Should(gomega.Succeed())
	// Evaluated every second, not every minute.
	t0, err := srv.Client.Value(ctx, "time()")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Eventually(func() (float64, error) {
		rules, err := srv.Client.Rules(ctx)
		if err != nil || len(rules) == 0 {
			return 0, err
		}
		return float64(rules[0].LastEvaluation.UnixNano()) / 1e9, nil
	}).WithTimeout(10 * time.Second).Should(gomega.BeNumerically(">", t0+1))

	dir, pid := srv.Dir, srv.p.PID()
	g.Expect(srv.Stop()).To(gomega.Succeed())
	_, err = os.Stat(dir)
	g.Expect(os.IsNotExist(err)).To(gomega.BeTrue(), "work directory %s left behind", dir)
	g.Expect(processGone(pid)).To(gomega.BeTrue(), "prometheus (pid %d) still runs", pid)
}

// processGone reports whether pid has exited (or is a zombie of ours).
func processGone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	return strings.HasPrefix(rest, "Z")
}
