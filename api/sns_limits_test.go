package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestSNSURLPort(t *testing.T) {
	re := mustDefaultHost(t)
	for u, ok := range map[string]bool{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem":      true,
		"https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-1.pem":  true,
		"https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem": false,
		"https://sns.us-east-1.amazonaws.com:80/SimpleNotificationService-1.pem":   false,
		"https://sns.us-east-1.amazonaws.com:0443/SimpleNotificationService-1.pem": false,
		"https://sns.us-east-1.amazonaws.com:22/?Action=ConfirmSubscription&x.pem": false,
	} {
		if err := checkSNSURL(u, re, true); (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// At most snsMaxFetches certificate fetches run at once; a delivery that
// would start another is answered 503 with Retry-After, fetching nothing,
// and goes through when retried once a slot is free.
func TestSNSFetchCap(t *testing.T) {
	k := testKey(t)
	entered := make(chan string, snsMaxFetches+1)
	release := make(chan struct{})
	var mu sync.Mutex
	fetched := map[string]int{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched[r.URL.Path]++
		mu.Unlock()
		entered <- r.URL.Path
		<-release
		w.Write(k.certPEM)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	base, client := port443(srv)
	f := &snsFixture{srv: srv, base: base, client: client}
	e := newEnv(t, &Config{SNSCertHost: `^127\.0\.0\.1$`, HTTPClient: client, Hooks: []Hook{{Path: "sns", Auth: AuthSNS}}})

	// Each delivery names its own certificate URL, so none is cached.
	delivery := func(i int) map[string]string {
		f.certURL = fmt.Sprintf("%s/cert-%d.pem", base, i)
		m := f.message("Notification")
		sign(t, k.key, m)
		return m
	}
	var wg sync.WaitGroup
	codes := make([]int, snsMaxFetches)
	for i := range snsMaxFetches {
		m := delivery(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/hook/sns", bytesReader(snsBody(m)))
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	deadline := time.After(10 * time.Second)
	for range snsMaxFetches {
		select {
		case <-entered:
		case <-deadline:
			t.Fatal("the first fetches never reached the certificate server")
		}
	}
	extra := delivery(snsMaxFetches)
	r := e.postSNS("/hook/sns", extra)
	expectStatus(t, r, http.StatusServiceUnavailable, "busy")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	mu.Lock()
	n := fetched[fmt.Sprintf("/cert-%d.pem", snsMaxFetches)]
	mu.Unlock()
	if n != 0 {
		t.Fatalf("the refused delivery fetched its certificate %d times", n)
	}
	close(release)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, c)
		}
	}
	// Retried once the fetches are done, it goes through.
	expectStatus(t, e.postSNS("/hook/sns", extra), http.StatusOK)
	if got := len(e.fb.Fired()); got != snsMaxFetches+1 {
		t.Fatalf("%d hook events, want %d", got, snsMaxFetches+1)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
