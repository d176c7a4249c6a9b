import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1 that the tests own (DESIGN.md §8),
 * for the real Claude Code. Its one script: call the tool `tool` once it is offered (asking
 * Claude Code to wait for its MCP servers while it is not), then say `done`. Every request
 * is kept for the test to look at.
 */
export class FakeAnthropic {
  readonly requests: { messages: unknown[]; tools: string[] }[] = [];
  private readonly server: Server;

  constructor(
    private readonly tool: string,
    private readonly done = 'Done.',
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Whether any request so far carried `text` in its messages. */
  saw(text: string): boolean {
    return this.requests.some((r) => JSON.stringify(r.messages).includes(text));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(req.method === 'HEAD' ? 200 : 404).end();
      return;
    }
    if (req.url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
      return;
    }
    const request = JSON.parse(body) as { model: string; stream?: boolean; messages: unknown[]; tools?: { name: string }[] };
    const tools = (request.tools ?? []).map((t) => t.name);
    this.requests.push({ messages: request.messages, tools });
    const message = { id: `msg_${this.requests.length}`, type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...message, content: [{ type: 'text', text: this.done }], stop_reason: 'end_turn' }));
      return;
    }
    const conversation = JSON.stringify(request.messages);
    const last = JSON.stringify(request.messages.at(-1));
    let reply: Event[];
    if (tools.includes(this.tool) && !conversation.includes('toolu_call')) reply = toolUse('toolu_call', this.tool);
    else if (!tools.includes(this.tool) && tools.includes('WaitForMcpServers') && !last.includes('toolu_wait')) reply = toolUse(`toolu_wait${this.requests.length}`, 'WaitForMcpServers');
    else reply = text(this.done);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [event, data] of [['message_start', { type: 'message_start', message }] as Event, ...reply]) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  }
}

type Event = [string, Record<string, unknown>];

function toolUse(id: string, name: string): Event[] {
  return [
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id, name, input: {} } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{}' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

function text(words: string): Event[] {
  return [
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: words } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}
