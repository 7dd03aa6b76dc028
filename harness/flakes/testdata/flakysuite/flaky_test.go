// Package flakysuite is a Ginkgo suite that flakes on purpose, run by
// harness/flakes' tests with --flake-attempts=2: one spec fails on its
// first attempt and passes on its second, one fails every time, one
// passes. Each attempt of a spec runs in the same process, as Ginkgo's
// retries do, so a counter tells the attempts apart.
package flakysuite

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFlakySuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "flaky suite")
}

var attempts = map[string]int{}

var _ = Describe("a fake scenario", Label("fake"), func() {
	It("fails once, then passes", func() {
		attempts["once"]++
		By("checking the attempt")
		Expect(attempts["once"]).To(BeNumerically(">", 1), "the first attempt fails on purpose")
	})
	It("fails every time", func() {
		By("failing")
		Fail("broken on purpose")
	})
	It("always passes", func() {
		By("passing")
	})
	It("is known to be broken", Label("other"), func() {
		Fail("broken, and quarantined")
	})
	It("is skipped", func() {
		Skip("nothing to run here")
	})
})
