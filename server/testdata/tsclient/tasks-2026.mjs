// Calls a tool as a task of the Tasks extension (io.modelcontextprotocol/tasks,
// MCP 2026-07-28) with the official TypeScript clients: @modelcontextprotocol/client's
// Client, pinned to 2026-07-28 over Streamable HTTP, and
// @modelcontextprotocol/ext-tasks' requester session on it.
//
//   node tasks-2026.mjs URL TOOL ARGS_JSON
//
// Prints one JSON object on stdout: what the client saw (the era, the
// server's capabilities, the execution's kind and task, the outcome, the
// result) and the task-wire exchanges it made (every request the requester
// sent through rawDispatch, with the response). Exits 1 on an error, after
// printing the same object with "error".
//
// The SDK Client's own codecs reject the Tasks wire shapes (a tools/call
// answered with resultType "task"), so ext-tasks needs a raw request path
// for tools/call and tasks/*: rawDispatch below posts the JSON-RPC request
// itself (its own ids; a Streamable HTTP POST's answer comes on its own
// response) with the routing headers of 2026-07-28, and v2RequestFraming
// is the _meta the Client itself sends (protocol version, client info,
// capabilities), to which ext-tasks adds the extension's capability.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  createTaskSessionFromClient,
  resultFromTaskOutcome,
} from "@modelcontextprotocol/ext-tasks/client";

const [url, tool, argsJSON] = process.argv.slice(2);
const protocolVersion = "2026-07-28";
const clientInfo = { name: "benchmcp-tsclient-e2e", version: "1.0.0" };
const clientCapabilities = {};
const out = { revision: protocolVersion, exchanges: [] };

let nextId = 1;
async function rawDispatch(request, options = {}) {
  const id = `raw-${nextId++}`;
  const body = { jsonrpc: "2.0", id, ...request };
  const params = request.params ?? {};
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": params._meta?.["io.modelcontextprotocol/protocolVersion"] ?? protocolVersion,
    "Mcp-Method": request.method,
    ...(options.context?.headers ?? {}),
  };
  const name = params.name ?? params.uri ?? params.taskId;
  if (typeof name === "string") headers["Mcp-Name"] = name;
  const exchange = { request: body };
  out.exchanges.push(exchange);
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: options.signal });
  const text = await res.text();
  exchange.httpStatus = res.status;
  let msg;
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    for (const line of text.split("\n")) {
      if (!line.startsWith("data:")) continue;
      const m = JSON.parse(line.slice(5));
      if (m.id === id) msg = m;
    }
  } else {
    try {
      msg = JSON.parse(text);
    } catch {
      // left undefined
    }
  }
  if (msg === undefined || (msg.result === undefined && msg.error === undefined)) {
    exchange.body = text;
    throw new Error(`${request.method}: HTTP ${res.status} without a JSON-RPC response for ${id}: ${text.slice(0, 500)}`);
  }
  exchange.response = msg;
  return msg.error !== undefined ? { kind: "error", error: msg.error } : { kind: "result", result: msg.result };
}

const client = new Client(clientInfo, {
  capabilities: clientCapabilities,
  versionNegotiation: { mode: { pin: protocolVersion } },
});
let session;
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  out.era = client.getProtocolEra();
  out.serverCapabilities = client.getServerCapabilities();
  session = createTaskSessionFromClient(client, {
    endpointId: "benchmcp-tsclient-e2e",
    rawDispatch,
    v2RequestFraming: { protocolVersion, clientInfo, clientCapabilities },
  });
  out.sessionCapabilities = session.capabilities;
  const execution = await session.callTool(tool, JSON.parse(argsJSON));
  out.kind = execution.kind;
  out.taskId = execution.handle?.taskId;
  const statuses = [];
  const { outcome, lastTask } = await execution.settle({
    onEvent: (e) => {
      if (e.type === "task") statuses.push(e.task.status);
    },
  });
  out.statuses = statuses;
  out.outcomeStatus = outcome.status;
  out.lastTask = lastTask?.raw;
  out.result = resultFromTaskOutcome(outcome);
} catch (err) {
  out.error = String(err?.stack ?? err);
  if (err?.cause) out.error += "\ncause: " + String(err.cause?.stack ?? err.cause);
  process.exitCode = 1;
} finally {
  await session?.close().catch(() => {});
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));
