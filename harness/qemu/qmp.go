package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// qmp is a minimal client of QEMU's machine protocol: one connection per
// command, which is all the fleet needs (reset, quit, status).
type qmp struct {
	conn net.Conn
	r    *bufio.Reader
}

type qmpMessage struct {
	QMP    json.RawMessage `json:"QMP"`
	Return json.RawMessage `json:"return"`
	Event  string          `json:"event"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
}

// qmpCommand connects to the QMP socket, negotiates capabilities and runs
// one command, returning its "return" value.
func qmpCommand(ctx context.Context, socket, command string, args any) (json.RawMessage, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("qmp: connect %s: %w", socket, err)
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	conn.SetDeadline(deadline)
	q := &qmp{conn: conn, r: bufio.NewReader(conn)}
	greeting, err := q.read()
	if err != nil {
		return nil, fmt.Errorf("qmp: greeting: %w", err)
	}
	if greeting.QMP == nil {
		return nil, fmt.Errorf("qmp: %s did not greet with QMP", socket)
	}
	if _, err := q.execute("qmp_capabilities", nil); err != nil {
		return nil, err
	}
	return q.execute(command, args)
}

func (q *qmp) read() (qmpMessage, error) {
	for {
		line, err := q.r.ReadBytes('\n')
		if err != nil {
			return qmpMessage{}, err
		}
		var m qmpMessage
		if err := json.Unmarshal(line, &m); err != nil {
			return qmpMessage{}, fmt.Errorf("qmp: bad message %q: %w", line, err)
		}
		if m.Event != "" {
			continue // asynchronous events are not answers
		}
		return m, nil
	}
}

func (q *qmp) execute(command string, args any) (json.RawMessage, error) {
	req := map[string]any{"execute": command}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	m, err := q.read()
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	if m.Error != nil {
		return nil, fmt.Errorf("qmp: %s: %s: %s", command, m.Error.Class, m.Error.Desc)
	}
	return m.Return, nil
}
