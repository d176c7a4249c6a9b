import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A model's turn: text (streamed a word at a time over `ms`), then maybe a call of a tool. */
export interface Reply {
  text: string;
  ms?: number;
  tool?: { name: string; input: Record<string, unknown> };
  /** Keeps the request open this long with nothing sent but the headers (a model that thinks) before the text. */
  silentMs?: number;
}

/** One scripted reply as the model sent it: when its request came and its first and last bytes went (ms since the epoch). */
export interface Exchange {
  reply: Reply;
  tools: string[];
  opened: number;
  firstByte?: number;
  lastByte?: number;
  /** The agent hung up before the reply's end (an interrupt). */
  aborted: boolean;
}

/** The script of a conversation: the reply to a request, from its messages and the tools it offers. */
export type Script = (request: { messages: unknown[]; tools: string[] }) => Reply;

/**
 * Stand-ins for model APIs on 127.0.0.1 that the tests own (DESIGN.md §8), so the real agent
 * CLIs run offline. By default each follows one script: call the tool `tool` once it is
 * offered, then say `done`; a test can give its own. Every request is kept for the test to
 * look at, and the model says whether it is streaming a reply and when it finished the last.
 */
abstract class FakeModel {
  readonly requests: { messages: unknown[]; tools: string[] }[] = [];
  /** Every scripted reply, in the order the requests came: the ground truth of what the agent was doing (bench/status-accuracy.ts). */
  readonly exchanges: Exchange[] = [];
  private readonly server: Server;
  /** Replies being streamed right now. */
  streaming = 0;
  /** When the last reply of `script` was fully sent (ms since the epoch). */
  lastReplyEnd = 0;
  protected script: Script | undefined;

  constructor(
    protected readonly tool: string,
    protected readonly done: string,
    private readonly path = '',
  ) {
    this.server = createServer((req, res) => void this.receive(req, res));
  }

  /** Answers from now on by `script` (requests that stream; others get a short text). */
  follow(script: Script): this {
    this.script = script;
    return this;
  }

  /**
   * Writes SSE `events` of `reply` (after its silence): the first `paced` (its text) spread
   * over its `ms`, the rest (a tool call, the end) at once after them, as a model sends them,
   * so that the last byte is when the agent may act on the reply. Keeps `streaming`,
   * `lastReplyEnd` and the exchange's record up to date; stops when the agent hangs up.
   */
  protected async stream(res: ServerResponse, events: string[], exchange: Omit<Exchange, 'aborted'>, paced: number): Promise<void> {
    const record: Exchange = { ...exchange, aborted: false };
    this.exchanges.push(record);
    const { ms = 0, silentMs = 0 } = exchange.reply;
    const pause = (wait: number) => new Promise((resolve) => setTimeout(resolve, wait));
    res.once('close', () => (record.aborted = !res.writableFinished));
    this.streaming++;
    try {
      res.flushHeaders();
      for (let left = silentMs; left > 0 && !record.aborted; left -= 100) await pause(Math.min(100, left));
      for (const [i, event] of events.entries()) {
        if (i > 0 && i < paced && ms > 0) await pause(ms / paced);
        if (record.aborted) break;
        res.write(event);
        record.firstByte ??= Date.now();
      }
      if (!record.aborted) res.end();
    } finally {
      this.streaming--;
      this.lastReplyEnd = Date.now();
      if (!record.aborted) record.lastByte = this.lastReplyEnd;
    }
  }

  /** The base URL to give the agent. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Whether any request so far carried `text` in its messages. */
  saw(text: string): boolean {
    return this.requests.some((r) => JSON.stringify(r.messages).includes(text));
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const opened = Date.now();
    let body = '';
    for await (const chunk of req) body += chunk;
    this.handle(req, body, res, opened);
  }

  /** Answers a request that came at `opened`. */
  protected abstract handle(req: IncomingMessage, body: string, res: ServerResponse, opened: number): void;
}

/** The Anthropic Messages API, for Claude Code (ANTHROPIC_BASE_URL); while the tool is not offered yet, it asks Claude Code to wait for its MCP servers. */
export class FakeAnthropic extends FakeModel {
  constructor(tool: string, done = 'Done.') {
    super(tool, done);
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse, opened: number): void {
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
    if (this.script) {
      const scripted = this.script({ messages: request.messages, tools });
      const words = scripted.text.split(/(?<= )/);
      const events: Event[] = [
        ['message_start', { type: 'message_start', message }],
        ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
        ...words.map((word): Event => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } }]),
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        ...(scripted.tool ? toolUse(`toolu_${this.requests.length}`, scripted.tool.name, scripted.tool.input, 1) : text('', 1).slice(-2)),
      ];
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void this.stream(res, events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`), { reply: scripted, tools, opened }, 2 + words.length);
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

function toolUse(id: string, name: string, input: Record<string, unknown> = {}, index = 0): Event[] {
  return [
    ['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } }],
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } }],
    ['content_block_stop', { type: 'content_block_stop', index }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

function text(words: string, index = 0): Event[] {
  return [
    ['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: words } }],
    ['content_block_stop', { type: 'content_block_stop', index }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

/** An OpenAI-compatible chat completions API, for OpenCode through a custom provider (its baseURL is …/v1); other requests (a title) get a short text. */
export class FakeOpenAI extends FakeModel {
  constructor(tool: string, done = 'Done.') {
    super(tool, done, '/v1');
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse, opened: number): void {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const request = JSON.parse(body) as { model: string; messages: unknown[]; tools?: { function?: { name: string } }[] };
    const tools = (request.tools ?? []).map((t) => t.function?.name ?? '');
    this.requests.push({ messages: request.messages, tools });
    const called = JSON.stringify(request.messages).includes('call_orchestra');
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: `c${this.requests.length}`, object: 'chat.completion.chunk', created: 0, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (this.script) {
      const scripted = this.script({ messages: request.messages, tools });
      const call = scripted.tool && { role: 'assistant', tool_calls: [{ index: 0, id: `call_${this.requests.length}`, type: 'function', function: { name: scripted.tool.name, arguments: JSON.stringify(scripted.tool.input) } }] };
      const words = scripted.text.split(/(?<= )/);
      const events = [
        ...words.map((word, i) => chunk(i === 0 ? { role: 'assistant', content: word } : { content: word }, null)),
        ...(call ? [chunk(call, null), chunk({}, 'tool_calls')] : [chunk({}, 'stop')]),
        'data: [DONE]\n\n',
      ];
      void this.stream(res, events, { reply: scripted, tools, opened }, words.length);
      return;
    }
    if (tools.includes(this.tool) && !called) {
      res.write(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_orchestra', type: 'function', function: { name: this.tool, arguments: '{}' } }] }, null));
      res.write(chunk({}, 'tool_calls'));
    } else {
      res.write(chunk({ role: 'assistant', content: called ? this.done : 'A title' }, null));
      res.write(chunk({}, 'stop'));
    }
    res.end('data: [DONE]\n\n');
  }
}
