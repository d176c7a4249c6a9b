import { spawn } from 'node:child_process';

/**
 * Orchestra's OpenCode plugin. Orchestra adds it to the plugin list of the OpenCode it starts
 * (through OPENCODE_CONFIG_CONTENT, so no file of the user's changes); it passes on the
 * events that say whether the top-level session works or waits for a person to
 * `orchestra hook <event>`, one at a time and in order (DESIGN.md §5). It runs inside
 * OpenCode, so it imports nothing of Orchestra.
 */

interface OpenCodeEvent {
  type: string;
  properties?: Record<string, unknown>;
}

/** Events that say what the agent does; src/core/agent-events.ts says what each means. */
const FORWARDED = new Set(['session.status', 'permission.asked', 'permission.replied', 'question.asked', 'question.replied', 'question.rejected']);
/** A hook that has not answered by then is left behind, so that later events still go out. */
const HOOK_TIMEOUT_MS = 10_000;

export const OrchestraStatusPlugin = async (): Promise<{ event?: (input: { event: OpenCodeEvent }) => Promise<void> }> => {
  const command = hookCommand(process.env.ORCHESTRA_HOOK_COMMAND);
  if (!command) return {};
  // Sub-agents work and go idle inside the main session's turn: only top-level sessions count.
  // Their questions and permissions still need a person, so those pass.
  const subSessions = new Set<string>();
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
      if (!FORWARDED.has(event.type)) return;
      if (event.type === 'session.status') {
        if (subSessions.has(String(properties.sessionID))) return;
        // OpenCode repeats "busy" through a turn, also while a permission or question is
        // pending; one report per change is enough, and a repeat must not clear the wait.
        const status = JSON.stringify(properties.status);
        if (status === lastStatus) return;
        lastStatus = status;
      }
      const payload = JSON.stringify(properties);
      queue = queue.then(() => report(command, event.type, payload));
    },
  };
};

function hookCommand(json: string | undefined): string[] | undefined {
  try {
    const command: unknown = JSON.parse(json ?? '');
    return Array.isArray(command) && command.length > 0 && command.every((word) => typeof word === 'string') ? command : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `orchestra hook <type>` with the event's properties on stdin; resolves when it is done, whatever it says. */
function report(command: string[], type: string, payload: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, [...command.slice(1), type], { stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), HOOK_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.on('error', done);
    child.on('close', done);
    child.stdin.on('error', () => {});
    child.stdin.end(payload);
  });
}
