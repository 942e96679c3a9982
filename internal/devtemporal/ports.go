package devtemporal

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// Temporal's cluster membership table stores ports as smallint, and Linux
// hands out ephemeral ports from 32768 up, so free ports are picked at random
// from a range below that instead of asking the kernel for port 0.
const (
	minPickedPort = 10000
	maxPickedPort = 32767
	pickAttempts  = 200
)

// portPicker hands out distinct free TCP ports on one IP.
type portPicker struct {
	ip    string
	taken map[int]bool
}

func newPortPicker(ip string) *portPicker {
	return &portPicker{ip: ip, taken: map[int]bool{}}
}

// reserve marks a caller-chosen port so that pick never returns it.
func (p *portPicker) reserve(port int) {
	p.taken[port] = true
}

// pick returns a port below 32768 that is free right now. Another process may
// still take it before the server binds it; the window is short.
func (p *portPicker) pick() (int, error) {
	for range pickAttempts {
		port := minPickedPort + rand.IntN(maxPickedPort-minPickedPort+1)
		if p.taken[port] {
			continue
		}
		if portFree(p.ip, port) {
			p.taken[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free TCP port found below 32768 on " + p.ip)
}

// portFree reports whether a TCP listener can be opened on ip:port.
func portFree(ip string, port int) bool {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// hostPort joins ip and port, bracketing IPv6 addresses.
func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}
