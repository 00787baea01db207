// Calls a tool as a task of MCP 2025-11-25 (params.task on tools/call, then
// tasks/get and tasks/result) with the official TypeScript SDK,
// @modelcontextprotocol/sdk: its Client over StreamableHTTPClientTransport
// and the experimental tasks API (client.experimental.tasks.callToolStream).
//
//   node tasks-2025.mjs URL TOOL ARGS_JSON
//
// Prints one JSON object on stdout: what the client saw (the negotiated
// version, the server's capabilities, the tool's execution, the stream's
// messages, the result) and the wire messages after initialize (every
// message the client sent and got). Exits 1 on an error, after printing the
// same object with "error".
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, tool, argsJSON] = process.argv.slice(2);
const out = { revision: "2025-11-25", wire: [], stream: [] };

const client = new Client({ name: "benchmcp-tsclient-e2e", version: "1.0.0" }, { capabilities: {} });
const transport = new StreamableHTTPClientTransport(new URL(url));
try {
  await client.connect(transport);
  out.protocolVersion = transport.protocolVersion;
  out.serverCapabilities = client.getServerCapabilities();
  // Record the wire from here on (initialize is done).
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    out.wire.push({ sent: message });
    return send(message, options);
  };
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    out.wire.push({ got: message });
    onmessage?.(message, extra);
  };
  const { tools } = await client.listTools();
  out.toolExecution = tools.find((t) => t.name === tool)?.execution;
  for await (const message of client.experimental.tasks.callToolStream(
    { name: tool, arguments: JSON.parse(argsJSON) },
    undefined,
    { task: { ttl: 600000 }, timeout: 600000 },
  )) {
    switch (message.type) {
      case "taskCreated":
        out.taskId = message.task.taskId;
        out.stream.push({ type: message.type, status: message.task.status });
        break;
      case "taskStatus":
        out.stream.push({ type: message.type, status: message.task.status });
        break;
      case "result":
        out.stream.push({ type: message.type });
        out.result = message.result;
        break;
      case "error":
        out.stream.push({ type: message.type, error: String(message.error) });
        throw message.error;
    }
  }
} catch (err) {
  out.error = String(err?.stack ?? err);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out));
