package main

import (
	"context"
	_ "embed"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

//go:embed page.html
var page []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	useEvented := flag.Bool("evented", false, "serve the WebSockets on the event-driven server (package evented)")
	flag.Parse()

	h := newHub(hubConfig{Logf: log.Printf})
	handler, shutdownWS := http.Handler(newMux(h)), h.shutdown
	if *useEvented {
		handler, shutdownWS = newEventedChat(log.Printf)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	log.Printf("chat on http://%s/", ln.Addr())

	<-ctx.Done()
	stop() // a second ^C kills the process at once
	log.Print("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx) // stops accepting; WebSockets are the hub's to close
	if err := shutdownWS(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
	log.Print("bye")
}

// newMux routes the page and the WebSocket endpoint.
func newMux(h *hub) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.Handle("GET /ws", h)
	return mux
}
