// A grpc-go server for baton's interop tests: the health service
// (grpc.health.v1) with the server's connection-shedding behaviours set
// from the command line. Built in GOPATH mode against Debian's
// golang-google-grpc-dev by crates/interop/src/grpc_go.rs.
//
// Flags (durations in Go syntax, 0 = off):
//
//	-max-age, -max-age-grace  keepalive.ServerParameters.MaxConnectionAge(Grace)
//	-max-idle                 keepalive.ServerParameters.MaxConnectionIdle
//	-min-ping                 keepalive.EnforcementPolicy.MinTime
//	-permit-idle-pings        keepalive.EnforcementPolicy.PermitWithoutStream
//	-max-streams              grpc.MaxConcurrentStreams (its SETTINGS;
//	                          streams past it are refused)
//	-flip                     how often the service "flip" toggles between
//	                          SERVING and NOT_SERVING (a steady Watch stream)
//
// It listens on 127.0.0.1 on a port of its own choosing and prints
// "LISTENING <port>" on stdout.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

func main() {
	maxAge := flag.Duration("max-age", 0, "MaxConnectionAge")
	grace := flag.Duration("max-age-grace", 0, "MaxConnectionAgeGrace")
	idle := flag.Duration("max-idle", 0, "MaxConnectionIdle")
	minPing := flag.Duration("min-ping", 0, "EnforcementPolicy.MinTime")
	permit := flag.Bool("permit-idle-pings", false, "EnforcementPolicy.PermitWithoutStream")
	maxStreams := flag.Uint("max-streams", 0, "MaxConcurrentStreams")
	flip := flag.Duration("flip", 100*time.Millisecond, "status toggle period of service \"flip\"")
	flag.Parse()

	params := keepalive.ServerParameters{}
	if *maxAge > 0 {
		params.MaxConnectionAge = *maxAge
		params.MaxConnectionAgeGrace = *grace
	}
	if *idle > 0 {
		params.MaxConnectionIdle = *idle
	}
	opts := []grpc.ServerOption{grpc.KeepaliveParams(params)}
	if *maxStreams > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(uint32(*maxStreams)))
	}
	if *minPing > 0 {
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             *minPing,
			PermitWithoutStream: *permit,
		}))
	}
	server := grpc.NewServer(opts...)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("flip", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, hs)
	go func() {
		serving := true
		for range time.Tick(*flip) {
			serving = !serving
			if serving {
				hs.SetServingStatus("flip", healthpb.HealthCheckResponse_SERVING)
			} else {
				hs.SetServingStatus("flip", healthpb.HealthCheckResponse_NOT_SERVING)
			}
		}
	}()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %d\n", lis.Addr().(*net.TCPAddr).Port)
	if err := server.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
