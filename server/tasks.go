package server

// The task layer: the Tasks extension (io.modelcontextprotocol/tasks,
// SEP-2663) of MCP 2026-07-28, in front of mcp-go, which has no way to add
// request methods. It answers tasks/get, tasks/update and tasks/cancel of
// 2026-07-28 requests itself, drops the 2025-11-25 params.task hint from
// 2026-07-28 tools/call requests (the extension says to ignore it), and
// turns a tool result that stands for a created task (tools.TaskCreatedKey)
// into the flat CreateTaskResult. Everything else goes to mcp-go untouched,
// 2025-11-25 tasks (params.task, tasks/get, tasks/result, tasks/list)
// included. The same layer serves Streamable HTTP (taskHTTP) and stdio
// (taskStdio).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/benchmcp/benchmcp/tools"
)

// taskSource holds tasks: the job layer (tools.Service), and with
// --conformance-fixtures the fixtures' tasks.
type taskSource interface {
	Task(id, client string) (tools.Task, error)
	CancelTask(id, client string) error
	UpdateTask(id, client string, answers map[string]json.RawMessage) error
}

type taskLayer struct {
	jobs     taskSource // job tasks: ids "j...".
	fixtures taskSource // conformance fixture tasks: ids "f-..."; nil without them
	// legacyOwners maps each 2025-11-25 task (mcp-go's) to the session
	// that created it (a task hook tells), so that its status
	// notifications, which mcp-go sends to every client, reach only it.
	legacyOwners sync.Map
}

func (l *taskLayer) source(id string) taskSource {
	switch {
	case l.fixtures != nil && strings.HasPrefix(id, fixtureTaskPrefix):
		return l.fixtures
	case l.jobs != nil:
		return l.jobs
	}
	return noTasks{}
}

// noTasks is the source of a layer without one: no task is ever found.
type noTasks struct{}

func (noTasks) Task(string, string) (tools.Task, error) { return tools.Task{}, tools.ErrTaskNotFound }
func (noTasks) CancelTask(string, string) error         { return tools.ErrTaskNotFound }
func (noTasks) UpdateTask(string, string, map[string]json.RawMessage) error {
	return tools.ErrTaskNotFound
}

const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaServerInfo         = "io.modelcontextprotocol/serverInfo"
)

// rpcRequest is a JSON-RPC request as the layer reads it.
type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

type taskParams struct {
	TaskID         *string                    `json:"taskId"`
	InputResponses map[string]json.RawMessage `json:"inputResponses"`
	Meta           map[string]json.RawMessage `json:"_meta"`
}

// reply is an answer the layer gives itself: the JSON-RPC response and the
// HTTP status that goes with it at 2026-07-28.
type reply struct {
	body   []byte
	status int
}

// handle looks at one request from client. It answers the request itself
// (a reply), or gives back the request to pass to mcp-go (pass; the same
// bytes unless it dropped a legacy task hint). header reads the HTTP
// request's headers ("" over stdio).
func (l *taskLayer) handle(body []byte, header func(string) string, client string) (r *reply, pass []byte) {
	var req rpcRequest
	if json.Unmarshal(body, &req) != nil || len(req.ID) == 0 || req.Method == "" {
		return nil, body // a notification, a response, a batch or garbage: mcp-go's
	}
	switch req.Method {
	case "tasks/get", "tasks/update", "tasks/cancel":
	case string(mcp.MethodToolsCall):
		return nil, dropTaskHint(body, req)
	default:
		return nil, body
	}
	var p taskParams
	if json.Unmarshal(req.Params, &p) != nil {
		return nil, body
	}
	var version string
	json.Unmarshal(p.Meta[metaProtocolVersion], &version)
	if !mcp.IsModernProtocol(version) {
		// 2025-11-25 tasks are mcp-go's (a session's tasks/get, tasks/cancel).
		return nil, body
	}
	fail := func(code int, msg string, data any) (*reply, []byte) {
		return errorReply(req.ID, mcp.JSONRPCErrorDetails{Code: code, Message: msg, Data: data}), nil
	}
	// The routing headers must say what the body says (SEP-2243).
	if header != nil {
		if h := header("Mcp-Protocol-Version"); h != "" && h != version {
			return fail(mcp.HEADER_MISMATCH, "the MCP-Protocol-Version header ("+h+") differs from the request's _meta protocolVersion ("+version+")", nil)
		}
		if h := header("Mcp-Method"); h != "" && h != req.Method {
			return fail(mcp.HEADER_MISMATCH, "the Mcp-Method header ("+h+") differs from the request's method ("+req.Method+")", nil)
		}
		if h := header("Mcp-Name"); h != "" && (p.TaskID == nil || decodeHeader(h) != *p.TaskID) {
			return fail(mcp.HEADER_MISMATCH, "the Mcp-Name header ("+h+") differs from the request's taskId", nil)
		}
	}
	capsRaw, ok := p.Meta[metaClientCapabilities]
	if !ok {
		return fail(mcp.INVALID_PARAMS, "the request's _meta has no "+metaClientCapabilities+"; 2026-07-28 requests carry the client's capabilities", nil)
	}
	var caps mcp.ClientCapabilities
	if err := json.Unmarshal(capsRaw, &caps); err != nil {
		return fail(mcp.INVALID_PARAMS, "the request's _meta "+metaClientCapabilities+" is not a capabilities object: "+err.Error(), nil)
	}
	// The gate comes before the task id: a client that did not declare
	// the extension learns nothing about which tasks exist.
	if _, ok := caps.Extensions[tools.TasksExtension]; !ok {
		e := needTasksExtension(req.Method).details()
		return fail(e.Code, e.Message, e.Data)
	}
	if p.TaskID == nil || *p.TaskID == "" {
		return fail(mcp.INVALID_PARAMS, req.Method+" needs params.taskId: the taskId a tools/call returned", nil)
	}
	id := *p.TaskID
	src := l.source(id)
	var err error
	result := map[string]any{}
	switch req.Method {
	case "tasks/get":
		var t tools.Task
		if t, err = src.Task(id, client); err == nil {
			b, _ := json.Marshal(t)
			json.Unmarshal(b, &result)
		}
	case "tasks/update":
		err = src.UpdateTask(id, client, p.InputResponses)
	case "tasks/cancel":
		err = src.CancelTask(id, client)
	}
	switch {
	case errors.Is(err, tools.ErrTaskNotFound):
		return fail(mcp.INVALID_PARAMS, "task "+id+" not found: it never existed, has expired, or belongs to another client", nil)
	case err != nil:
		return fail(mcp.INTERNAL_ERROR, req.Method+" "+id+": "+err.Error(), nil)
	}
	return resultReply(req.ID, result), nil
}

// decodeHeader is an Mcp-Name header's value (SEP-2243 may base64 it).
func decodeHeader(h string) string {
	if v, ok := mcp.DecodeHeaderValue(h); ok {
		return v
	}
	return h
}

// dropTaskHint removes params.task from a 2026-07-28 tools/call: the
// 2025-11-25 hint asks mcp-go for one of its tasks, and the Tasks extension
// says a server ignores it (the server alone decides what becomes a task).
func dropTaskHint(body []byte, req rpcRequest) []byte {
	var params map[string]json.RawMessage
	if json.Unmarshal(req.Params, &params) != nil {
		return body
	}
	if _, ok := params["task"]; !ok {
		return body
	}
	var meta map[string]json.RawMessage
	json.Unmarshal(params["_meta"], &meta)
	var version string
	json.Unmarshal(meta[metaProtocolVersion], &version)
	if !mcp.IsModernProtocol(version) {
		return body
	}
	delete(params, "task")
	var msg map[string]json.RawMessage
	if json.Unmarshal(body, &msg) != nil {
		return body
	}
	msg["params"], _ = json.Marshal(params)
	out, err := json.Marshal(msg)
	if err != nil {
		return body
	}
	return out
}

func serverInfoMeta() map[string]any {
	return map[string]any{metaServerInfo: map[string]any{"name": "benchmcp", "version": Version}}
}

func resultReply(id json.RawMessage, result map[string]any) *reply {
	result["resultType"] = "complete"
	result["_meta"] = serverInfoMeta()
	b, _ := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": id, "result": result})
	return &reply{body: b, status: http.StatusOK}
}

func errorReply(id json.RawMessage, e mcp.JSONRPCErrorDetails) *reply {
	b, _ := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": id, "error": e})
	status := http.StatusOK
	switch e.Code {
	case mcp.METHOD_NOT_FOUND:
		status = http.StatusNotFound
	case mcp.HEADER_MISMATCH, mcp.MISSING_REQUIRED_CLIENT_CAPABILITY, mcp.UNSUPPORTED_PROTOCOL_VERSION,
		mcp.INVALID_REQUEST, mcp.INVALID_PARAMS, mcp.PARSE_ERROR:
		status = http.StatusBadRequest
	}
	return &reply{body: b, status: status}
}

// createdTask rewrites a JSON-RPC response whose result stands for a
// created task into the CreateTaskResult, and a server/discover result
// without the 2025-11-25 capabilities.tasks (mcp-go's tasks, which a
// 2026-07-28 server must not advertise beside the extension); any other
// message comes back as it was.
func createdTask(msg []byte) []byte {
	if bytes.Contains(msg, []byte(`"supportedVersions"`)) {
		return withoutLegacyTasks(msg)
	}
	if !bytes.Contains(msg, []byte(tools.TaskCreatedKey)) {
		return msg
	}
	var resp struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  struct {
			Meta map[string]json.RawMessage `json:"_meta"`
		} `json:"result"`
	}
	if json.Unmarshal(msg, &resp) != nil || resp.Result.Meta[tools.TaskCreatedKey] == nil {
		return msg
	}
	var task map[string]any
	if json.Unmarshal(resp.Result.Meta[tools.TaskCreatedKey], &task) != nil {
		return msg
	}
	meta := map[string]any{}
	for k, v := range resp.Result.Meta {
		if k != tools.TaskCreatedKey {
			meta[k] = v
		}
	}
	task["resultType"] = "task"
	if len(meta) > 0 {
		task["_meta"] = meta
	}
	out, err := json.Marshal(map[string]any{"jsonrpc": resp.JSONRPC, "id": resp.ID, "result": task})
	if err != nil {
		return msg
	}
	return out
}

// withoutLegacyTasks drops capabilities.tasks from a server/discover
// result.
func withoutLegacyTasks(msg []byte) []byte {
	var resp map[string]json.RawMessage
	if json.Unmarshal(msg, &resp) != nil || resp["result"] == nil {
		return msg
	}
	var result map[string]json.RawMessage
	if json.Unmarshal(resp["result"], &result) != nil || result["supportedVersions"] == nil || result["capabilities"] == nil {
		return msg
	}
	var caps map[string]json.RawMessage
	if json.Unmarshal(result["capabilities"], &caps) != nil {
		return msg
	}
	if _, ok := caps["tasks"]; !ok {
		return msg
	}
	delete(caps, "tasks")
	result["capabilities"], _ = json.Marshal(caps)
	resp["result"], _ = json.Marshal(result)
	out, err := json.Marshal(resp)
	if err != nil {
		return msg
	}
	return out
}

// taskHTTP puts the layer in front of mcp-go's Streamable HTTP handler.
// client names the client of a request (tools.WithClient); the request's
// context carries it to the tools. Every response goes out through
// outgoing: whole, for a JSON body; event by event, for a stream.
func (l *taskLayer) taskHTTP(next http.Handler, client func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := client(r)
		r = r.WithContext(tools.WithClient(r.Context(), id, false))
		out := &taskWriter{ResponseWriter: w, fix: l.outgoing(r.Header.Get(mcpserver.HeaderKeySessionID))}
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(r.Body) // wholeRequest has read it already
			if err != nil {
				http.Error(w, "could not read the request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			rep, pass := l.handle(body, r.Header.Get, id)
			if rep != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rep.status)
				w.Write(rep.body)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(pass))
			r.ContentLength = int64(len(pass))
		}
		next.ServeHTTP(out, r)
		out.finish()
	})
}

// outgoing is what the layer does to each message mcp-go sends to a client
// in session (the Mcp-Session-Id; "" without one): a created task becomes
// the CreateTaskResult, discover loses the legacy tasks capability, and a
// 2025-11-25 task status notification reaches only its task's session,
// with the ttl the schema requires.
func (l *taskLayer) outgoing(session string) func([]byte) ([]byte, bool) {
	return func(msg []byte) ([]byte, bool) {
		if bytes.Contains(msg, []byte(`"`+mcp.MethodNotificationTasksStatus+`"`)) {
			return l.legacyTaskStatus(msg, session)
		}
		return createdTask(msg), true
	}
}

// legacyTaskStatus is what becomes of a 2025-11-25 notifications/tasks/status
// that mcp-go sends to every client: dropped for a session that does not
// own the task, and given "ttl": null when mcp-go left the required key out
// (it writes ttl only when the task has one).
func (l *taskLayer) legacyTaskStatus(msg []byte, session string) ([]byte, bool) {
	var note struct {
		JSONRPC string         `json:"jsonrpc"`
		Method  string         `json:"method"`
		Params  map[string]any `json:"params"`
	}
	if json.Unmarshal(msg, &note) != nil || note.Method != mcp.MethodNotificationTasksStatus || note.Params == nil {
		return msg, true
	}
	id, _ := note.Params["taskId"].(string)
	if owner, ok := l.legacyOwners.Load(id); ok && owner.(string) != session && session != "" {
		return nil, false
	}
	if _, ok := note.Params["ttl"]; ok {
		return msg, true
	}
	note.Params["ttl"] = nil
	out, err := json.Marshal(note)
	if err != nil {
		return msg, true
	}
	return out, true
}

// taskWriter passes a response through fix: a JSON body whole, once the
// handler is done; an SSE stream event by event, as it goes.
type taskWriter struct {
	http.ResponseWriter
	fix     func([]byte) ([]byte, bool)
	status  int
	json    bool // buffering a JSON body
	started bool
	buf     bytes.Buffer // JSON: the body; SSE: the lines of the event under way
	line    []byte       // SSE: a line not yet ended
}

func (w *taskWriter) WriteHeader(status int) {
	if w.started {
		return
	}
	w.started, w.status = true, status
	w.json = strings.HasPrefix(w.Header().Get("Content-Type"), "application/json")
	if w.json {
		w.Header().Del("Content-Length") // the rewrite may change it
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *taskWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.json {
		w.buf.Write(p)
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := w.line[:i+1]
		w.line = w.line[i+1:]
		w.buf.Write(line)
		if len(bytes.TrimRight(line, "\r\n")) == 0 { // the event ends
			if err := w.event(); err != nil {
				return len(p), err
			}
		}
	}
}

// event writes the event in buf, its data fixed, or drops it.
func (w *taskWriter) event() error {
	defer w.buf.Reset()
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(w.buf.Bytes(), []byte("\n")) {
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			out.Write(line)
			continue
		}
		fixed, keep := w.fix(bytes.TrimRight(data, "\r\n"))
		if !keep {
			return nil
		}
		out.WriteString("data: ")
		out.Write(fixed)
		out.WriteByte('\n')
	}
	_, err := w.ResponseWriter.Write(out.Bytes())
	return err
}

// finish writes a buffered JSON body, or what is left of a stream.
func (w *taskWriter) finish() {
	if !w.started {
		return
	}
	if w.json {
		w.ResponseWriter.WriteHeader(w.status)
		if w.buf.Len() > 0 {
			fixed, _ := w.fix(w.buf.Bytes())
			w.ResponseWriter.Write(fixed)
		}
		return
	}
	w.buf.Write(w.line)
	if w.buf.Len() > 0 {
		w.ResponseWriter.Write(w.buf.Bytes())
	}
}

func (w *taskWriter) Flush() {
	if w.json {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *taskWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// taskStdio puts the layer between stdio and mcp-go's stdio server: it
// returns the reader and writer to give mcp-go. Requests the layer answers
// never reach mcp-go; their answers and mcp-go's messages are written
// whole lines at a time, one writer at a time.
func (l *taskLayer) taskStdio(ctx context.Context, in io.Reader, out io.Writer, client string) (io.Reader, io.Writer) {
	w := &lineWriter{w: out, fix: l.outgoing("")}
	pr, pw := io.Pipe()
	go func() {
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				rep, pass := l.handle(bytes.TrimSpace(line), nil, client)
				if rep != nil {
					w.writeLine(rep.body)
				} else if _, werr := pw.Write(append(pass, '\n')); werr != nil {
					return
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if ctx.Err() != nil {
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return pr, w
}

// lineWriter writes whole lines to w, one at a time, each through fix.
type lineWriter struct {
	mu  sync.Mutex
	w   io.Writer
	fix func([]byte) ([]byte, bool)
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line, keep := l.fix(l.buf[:i])
		out := append(append([]byte(nil), line...), '\n')
		l.buf = l.buf[i+1:]
		if !keep {
			continue
		}
		if _, err := l.w.Write(out); err != nil {
			return len(p), err
		}
	}
}

func (l *lineWriter) writeLine(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(append(append([]byte(nil), b...), '\n'))
}
