package runreport

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/browser"
)

// BrowserTestsEnv enables the tests that need Chromium: `make
// report-test` (part of `make test` and `make nightly`) sets it, after
// `make deps` installed Chromium.
const BrowserTestsEnv = "WASMBED_BROWSER_TESTS"

// The report of a run with a deliberately failed spec, opened in headless
// Chromium: the rendered DOM has the failed spec's timeline with an event
// from every source and the failure, the script ran, and the screenshot is
// a real picture of the page. WASMBED_REPORT_SHOT=<path> keeps the
// screenshot.
func TestTheReportInChromium(t *testing.T) {
	if os.Getenv(BrowserTestsEnv) == "" {
		t.Skipf("set %s=1 to open the report in headless Chromium (make report-test does)", BrowserTestsEnv)
	}
	c, err := browser.Find()
	if err != nil {
		t.Fatal(err)
	}
	dir := redRun(t)
	if _, err := Write(dir, options(dir), nil); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.Join(dir, IndexFile)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dom, err := c.DumpDOM(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dom, `data-verdict="fail"`) {
		t.Error("the page does not say the run failed")
	}
	// The failed spec's timeline, as rendered.
	section := regexp.MustCompile(`(?s)<section class="timeline failed" id="t1"[^>]*data-ready="yes".*?</section>`).FindString(dom)
	if section == "" {
		t.Fatalf("no rendered timeline for the failed spec, or its script did not run:\n%s", tail(dom))
	}
	for _, want := range []struct{ lane, text string }{
		{"steps", "when its link is cut"},
		{"faults", "link d1: cut"},
		{"faults", "inject fault 0 link.blackhole d1"},
		{"phases", "Device d1: Connected → Disconnected"},
		{"SUT logs", "heartbeat timeout device=d1"},
		{"devices", "connection lost err=EOF"},
		{"devices", "gateway unreachable attempts=3"},
		{"MAVLink", "vehicle 1 link lost"},
		{"failure", "Device d1 was not Unreachable within 2.5s"},
	} {
		row := regexp.MustCompile(`(?s)<tr class="ev[^"]*" id="t1-e\d+" data-lane="` + regexp.QuoteMeta(want.lane) + `"[^>]*>.*?</tr>`)
		found := false
		for _, r := range row.FindAllString(section, -1) {
			if strings.Contains(r, want.text) && strings.Contains(r, `<a href="`) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s row with %q and its link", want.lane, want.text)
		}
	}
	if n := strings.Count(section, `class="mark `); n < 20 {
		t.Errorf("%d marks on the axis", n)
	}
	if !strings.Contains(dom, `data-bench="DeployLatency100" data-unit="deploy-p99-ms" data-verdict="regressed"`) {
		t.Error("the benchmark regression is not shown")
	}
	if !strings.Contains(dom, `<span class="badge st-flaky">flaky</span>`) {
		t.Error("no flaky mark")
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	if err := c.Screenshot(ctx, url, shot); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("WASMBED_REPORT_SHOT"); keep != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(keep, b, 0o644)
	}
	checkScreenshot(t, shot)
}

// checkScreenshot asserts the PNG is the window's size and a page, not a
// blank: many colours, mostly not the background, and the red banner of a
// failed run at the top.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot %dx%d, want the 1280x2000 window", b.Dx(), b.Dy())
	}
	colours := map[uint32]bool{}
	var ink, total int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
			total++
			if !near(img, x, y, 0xf6, 0xf7, 0xf9) && !near(img, x, y, 0xff, 0xff, 0xff) {
				ink++
			}
		}
	}
	if len(colours) < 40 {
		t.Errorf("%d colours: a blank or broken page", len(colours))
	}
	if share := float64(ink) / float64(total); share < 0.1 {
		t.Errorf("only %.0f%% of the screenshot is not background", 100*share)
	}
	if !near(img, 8, 8, 0xc0, 0x39, 0x2b) {
		r, g, bl, _ := img.At(8, 8).RGBA()
		t.Errorf("the top of the page is #%02x%02x%02x, not the failed run's red banner", r>>8, g>>8, bl>>8)
	}
}

func near(img image.Image, x, y int, r, g, b uint32) bool {
	cr, cg, cb, _ := img.At(x, y).RGBA()
	d := func(a, b uint32) bool { return a>>8 <= b+8 && a>>8+8 >= b }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
