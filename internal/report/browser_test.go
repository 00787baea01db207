package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/benchmcp/benchmcp/internal/analyze"
	"github.com/benchmcp/benchmcp/internal/record"
	"github.com/benchmcp/benchmcp/internal/route"
)

// chromium finds Debian's chromium; the tests fail, not skip, without it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: the HTML reports are checked in a real browser; install it (Debian: apt-get install chromium, or scripts/chromium.sh)")
	return ""
}

// rendered is what a browser made of a page.
type rendered struct {
	svgs       int
	screenshot []byte
	console    []string // errors and exceptions
	requests   []string // every URL the page fetched besides itself
}

// render loads a file in headless Chromium with the network off, and
// collects its console errors, its requests and a screenshot.
func render(t *testing.T, path string) rendered {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.WindowSize(1200, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var r rendered
	page := "file://" + path
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.URL != page {
			mu.Lock()
			r.requests = append(r.requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	done := make(chan struct{})
	cctx, stop := context.WithCancel(ctx)
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(cctx) {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" {
				mu.Lock()
				r.console = append(r.console, m.String())
				mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("load %s in chromium: %v", path, err)
	}
	svgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg").length`))
	if err != nil {
		t.Fatalf("count svg elements: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: a PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // let late console messages arrive
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	r.svgs, r.screenshot = svgs, shot
	return r
}

// inked is the share of a screenshot's pixels that are not near-white.
func inked(t *testing.T, shot []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode the screenshot: %v", err)
	}
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				dark++
			}
		}
	}
	return float64(dark) / float64((b.Dx()/2)*(b.Dy()/2))
}

// TestReportsInBrowser renders every HTML report in headless Chromium: a
// screenshot that is not blank, the expected number of charts, no console
// errors, no network requests.
func TestReportsInBrowser(t *testing.T) {
	dir := t.TempDir()
	var analyzePage bytes.Buffer
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	runs := []analyze.RunRow{
		{ID: "r1", Model: "tiny-m", Suite: "tiny", Status: record.StatusCompleted, StartedAt: now.Add(-2 * time.Hour), Headline: record.Headline{PassRate: 0.9}},
		{ID: "r2", Model: "tiny-m", Suite: "tiny", Status: record.StatusCompleted, StartedAt: now.Add(-time.Hour), Headline: record.Headline{PassRate: 0.8}},
	}
	runs = append(runs, analyze.RunRow{ID: "r3", Model: "tiny-s", Suite: "tiny", Status: record.StatusCompleted, StartedAt: now.Add(-30 * time.Minute), Headline: record.Headline{PassRate: 0.6}})
	// Two trends: tiny-m's two runs get a chart (r2 marked as a
	// regression), tiny-s's one run only its sparkline.
	a := analyze.Result{Runs: runs, Findings: []string{"tiny-m dropped 10 points on tiny."},
		Trends: []analyze.Trend{
			{Model: "tiny-m", Suite: "tiny", Points: []analyze.TrendPoint{{RunID: "r1", StartedAt: runs[0].StartedAt, PassRate: 0.9}, {RunID: "r2", StartedAt: runs[1].StartedAt, PassRate: 0.8}}},
			{Model: "tiny-s", Suite: "tiny", Points: []analyze.TrendPoint{{RunID: "r3", StartedAt: runs[2].StartedAt, PassRate: 0.6}}},
		},
		Regressions: []analyze.Check{{RunID: "r2", BaselineRunID: "r1", Model: "tiny-m", Suite: "tiny", PassRate: 0.8, BaselinePassRate: 0.9, PassRateDiff: -0.1, Verdict: analyze.Regression}}}
	if err := AnalyzeHTML(&analyzePage, "analysis", a); err != nil {
		t.Fatal(err)
	}
	th := 0.8
	routing := Routing{PolicyID: "p1", Suite: "tiny", Mode: "offline", Iterations: 3, Tasks: 36, Candidates: []string{"tiny-s", "tiny-m"},
		Recommended: "evidence@0.8", Why: "cheapest within 2 points",
		Policies: []route.PolicyResult{
			{ID: "always tiny-s", Policy: route.Always, PassRate: 0.61, PassRateCI: record.Interval{Lo: 0.44, Hi: 0.78}, Pareto: true},
			{ID: "always tiny-m", Policy: route.Always, PassRate: 0.92, BigShare: 1, PassRateCI: record.Interval{Lo: 0.83, Hi: 1}, Pareto: true},
			{ID: "evidence@0.8", Policy: route.Evidence, Threshold: &th, PassRate: 0.86, BigShare: 0.5, PassRateCI: record.Interval{Lo: 0.75, Hi: 0.97}, Pareto: true},
			{ID: "oracle", Policy: route.Oracle, PassRate: 0.92, BigShare: 0.31},
		}}
	pages := []struct {
		name    string
		content string
		charts  int
	}{
		{"analyze.html", analyzePage.String(), 2 + 1}, // two sparklines, one trend chart
		{"routing.html", RoutingHTML(routing), 1},
		{"sidebyside.html", SideBySideHTML(sideBySide(t)), 3}, // quality/speed, latency, per category
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			path := filepath.Join(dir, p.name)
			if err := os.WriteFile(path, []byte(p.content), 0o644); err != nil {
				t.Fatal(err)
			}
			r := render(t, path)
			if dir := os.Getenv("BENCHMCP_SAVE_SCREENSHOTS"); dir != "" {
				os.WriteFile(filepath.Join(dir, strings.TrimSuffix(p.name, ".html")+".png"), r.screenshot, 0o644)
			}
			if r.svgs != p.charts {
				t.Errorf("%d svg elements, want %d", r.svgs, p.charts)
			}
			if len(r.console) > 0 {
				t.Errorf("console errors: %v", r.console)
			}
			if len(r.requests) > 0 {
				t.Errorf("network requests: %v", r.requests)
			}
			if ink := inked(t, r.screenshot); ink < 0.01 {
				t.Errorf("the screenshot is blank: %.4f of its pixels are not white", ink)
			}
		})
	}
}

// TestBrowserCheckCanFail: a page that fetches from the network and logs an
// error is caught, so TestReportsInBrowser's clean results mean something.
func TestBrowserCheckCanFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><body><p>x</p><img src="http://127.0.0.1:9/chart.png"><script>console.error("broken")</script></body></html>`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r := render(t, path)
	if len(r.requests) == 0 || len(r.console) == 0 {
		t.Errorf("requests %v, console %v: the check missed a network request or a console error", r.requests, r.console)
	}
	if os.Getenv("BENCHMCP_SAVE_SCREENSHOTS") != "" {
		os.WriteFile(filepath.Join(os.TempDir(), "bad.png"), r.screenshot, 0o644)
	}
}
