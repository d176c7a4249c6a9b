import { connect } from 'node:net';
import { Methods } from '../../protocol/daemon.js';
import { keptFields } from '../core/agents/agent.js';
import { OPENCODE_EVENTS } from '../core/agents/opencode.js';

/**
 * Orchestra's OpenCode plugin. Orchestra adds it to the plugin list of the OpenCode it starts
 * (through OPENCODE_CONFIG_CONTENT, so no file of the user's changes); it passes on the
 * events that say whether the top-level session works or waits for a person to the daemon,
 * as `task.report` requests (what `orchestra hook <event>` sends), one at a time and in
 * order (DESIGN.md §5). Straight to the daemon's socket rather than through `orchestra
 * hook`: a Node start per event would add a few hundred milliseconds to every change.
 */

interface OpenCodeEvent {
  type: string;
  properties?: Record<string, unknown>;
}

/** Events that say what the agent does, and only the fields of each that say it: src/core/agents/opencode.ts says what each means. */
const FORWARDED = new Map(Object.entries(OPENCODE_EVENTS));
/** A daemon that has not answered by then is left behind, so that later events still go out. */
const REPORT_TIMEOUT_MS = 10_000;

export const OrchestraStatusPlugin = async (): Promise<{ event?: (input: { event: OpenCodeEvent }) => Promise<void> }> => {
  // Set for every agent Orchestra starts; without them, this is not one.
  const { ORCHESTRA_SOCKET: socket, ORCHESTRA_TASK_ID: ref, ORCHESTRA_PROJECT_ROOT: cwd } = process.env;
  if (!socket || !ref || !cwd) return {};
  // Sub-agents work and go idle inside the main session's turn: only top-level sessions count.
  // Their questions and permissions still need a person, so those pass.
  const subSessions = new Set<string>();
  // OpenCode's message ids ascend with time: a prompt is new when its id is past the last one's.
  let lastPrompt = '';
  let lastStatus = '';
  let queue = Promise.resolve();
  return {
    event: async ({ event }) => {
      const properties = event.properties ?? {};
      if (event.type === 'session.created' || event.type === 'session.updated') {
        const info = properties.info as { id?: unknown; parentID?: unknown } | undefined;
        if (typeof info?.id === 'string' && info.parentID) subSessions.add(info.id);
        return;
      }
      const forwarded = FORWARDED.get(event.type);
      if (!forwarded) return;
      if (event.type === 'message.updated') {
        // A person's prompt to the top-level session, once (OpenCode updates a message as it
        // goes): the start of a turn, which alone reopens a completed task.
        const info = properties.info as { id?: unknown; role?: unknown; sessionID?: unknown } | undefined;
        if (info?.role !== 'user' || typeof info.id !== 'string' || info.id <= lastPrompt || subSessions.has(String(info.sessionID))) return;
        lastPrompt = info.id;
      }
      if (event.type === 'session.status') {
        if (subSessions.has(String(properties.sessionID))) return;
        // OpenCode repeats "busy" through a turn, also while a permission or question is
        // pending; one report per change is enough, and a repeat must not clear the wait.
        const status = JSON.stringify(properties.status);
        if (status === lastStatus) return;
        lastStatus = status;
      }
      const params = { cwd, ref, event: event.type, data: keptFields(forwarded, properties), at: Date.now() };
      queue = queue.then(() => report(socket, params));
    },
  };
};

/** Sends one `task.report` (JSON-RPC with LSP framing, protocol/README.md); resolves once answered, whatever the answer. */
function report(socketPath: string, params: object): Promise<void> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: Methods.report.method, params });
    const socket = connect(socketPath);
    const timer = setTimeout(() => socket.destroy(), REPORT_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on('connect', () => socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    socket.on('data', () => socket.end());
    socket.on('error', done);
    socket.on('close', done);
  });
}
