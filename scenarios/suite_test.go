package scenarios

import (
	"context"
	"flag"
	"fmt"
	"os"
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

// scaled is a wait's timeout scaled by WASMBED_TIMEOUT_SCALE: every
// Eventually timeout a spec names goes through it. The windows over which
// a spec asserts that nothing changes (Consistently) and the bounds it
// asserts on measured times do not: they are what the spec checks.
func scaled(d time.Duration) time.Duration { return cfg.Scale(d) }

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	// envtest and the clients log through controller-runtime; send it to
	// the spec's output, shown when a spec fails.
	ctrllog.SetLogger(GinkgoLogr)
	SetDefaultEventuallyTimeout(scaled(30 * time.Second))
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if cfg.Repeat > 1 {
		// WASMBED_REPEAT: make nightly's smoke-repeat stage has every
		// selected spec pass that many times in a row, each time in a
		// fresh Env, which Ginkgo's command line cannot ask for.
		suiteConfig.MustPassRepeatedly = cfg.Repeat
	}
	RunSpecs(t, "Wasmbed scenarios", suiteConfig, reporterConfig)
}

// The first process boots the cluster and draws the run's seed; the others
// attach to the cluster and take the seed. (The suite nodes are declared
// before the flags are parsed, so their timeouts are set in their bodies,
// where -wasmbed.timeout-scale is known.)
var _ = SynchronizedBeforeSuite(func(sctx SpecContext) []byte {
	ctx, cancel := context.WithTimeout(sctx, scaled(30*time.Minute))
	defer cancel()
	s, err := env.Boot(ctx, cfg)
	Expect(err).NotTo(HaveOccurred(), "booting the environment")
	suite = s
	fmt.Fprintf(os.Stderr, "seed: %d (re-run with WASMBED_SEED=%d)\n", s.Shared.Seed, s.Shared.Seed)
	AddReportEntry("seed", s.Shared.Seed)
	return s.Shared.Encode()
}, func(data []byte) {
	if suite != nil {
		return
	}
	shared, err := env.DecodeShared(data)
	Expect(err).NotTo(HaveOccurred())
	suite, err = env.Attach(cfg, shared)
	Expect(err).NotTo(HaveOccurred())
})

var _ = SynchronizedAfterSuite(func() {}, func(sctx SpecContext) {
	ctx, cancel := context.WithTimeout(sctx, scaled(2*time.Minute))
	defer cancel()
	if suite != nil {
		Expect(suite.Stop(ctx)).To(Succeed())
	}
})

// newEnv gives the current spec its namespace and cleanup (closeAtEnd).
func newEnv(ctx context.Context) *env.Env {
	GinkgoHelper()
	e, err := suite.NewEnv(ctx, CurrentSpecReport().LeafNodeText)
	Expect(err).NotTo(HaveOccurred())
	closeAtEnd(e, func() bool { return CurrentSpecReport().Failed() })
	return e
}

// closeAtEnd closes e when the current node's cleanup runs: after the spec
// for an Env made in a spec or BeforeEach, after the last spec of an
// Ordered container for one made in BeforeAll. It runs even if the spec
// fails or the run is interrupted; if failed says so, the Env's artifacts
// are kept under reports/<run-id>/failed/ and named in the report.
func closeAtEnd(e *env.Env, failed func() bool) {
	DeferCleanup(func(ctx SpecContext) {
		kept, err := e.Close(ctx, failed())
		if kept != "" {
			AddReportEntry("artifacts", kept)
			GinkgoWriter.Printf("artifacts kept in %s\n", kept)
		}
		Expect(err).NotTo(HaveOccurred())
	}, NodeTimeout(scaled(2*time.Minute)))
}
