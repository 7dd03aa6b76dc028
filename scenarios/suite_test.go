package scenarios

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
)

// cfg is filled from flags and WASMBED_* variables.
var cfg = config.Register(flag.CommandLine)

// suite is this process's view of the run.
var suite *env.Suite

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	// envtest and the clients log through controller-runtime; send it to
	// the spec's output, shown when a spec fails.
	ctrllog.SetLogger(GinkgoLogr)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	suiteConfig.MustPassRepeatedly = repeat(t)
	RunSpecs(t, "Wasmbed scenarios", suiteConfig, reporterConfig)
}

// repeat is WASMBED_REPEAT: the nightly run's smoke-repeat stage makes
// every selected spec pass that many times in a row (each time in a fresh
// Env), which Ginkgo's command line cannot ask for.
func repeat(t *testing.T) int {
	v := os.Getenv("WASMBED_REPEAT")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("WASMBED_REPEAT=%q: want a positive count", v)
	}
	return n
}

// The first process boots the cluster; the others attach to it.
var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	s, err := env.Boot(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	suite = s
	return s.Shared.Encode()
}, func(data []byte) {
	if suite != nil {
		return
	}
	shared, err := env.DecodeShared(data)
	Expect(err).NotTo(HaveOccurred())
	suite, err = env.Attach(cfg, shared)
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(30*time.Minute))

var _ = SynchronizedAfterSuite(func() {}, func(ctx SpecContext) {
	if suite != nil {
		Expect(suite.Stop(ctx)).To(Succeed())
	}
}, NodeTimeout(2*time.Minute))

// newEnv gives the current spec its namespace and cleanup. The cleanup runs
// even if the spec fails or the run is interrupted; on failure it keeps the
// spec's artifacts under reports/<run-id>/failed/.
func newEnv(ctx context.Context) *env.Env {
	GinkgoHelper()
	e, err := suite.NewEnv(ctx, CurrentSpecReport().LeafNodeText)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) {
		kept, err := e.Close(ctx, CurrentSpecReport().Failed())
		if kept != "" {
			AddReportEntry("artifacts", kept)
			GinkgoWriter.Printf("artifacts kept in %s\n", kept)
		}
		Expect(err).NotTo(HaveOccurred())
	}, NodeTimeout(2*time.Minute))
	return e
}
