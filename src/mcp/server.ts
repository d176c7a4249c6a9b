import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Methods, TASK_STATUSES, type TaskInfo } from '../../protocol/daemon.js';
import { UsageError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { openControl, withDaemon } from '../daemon/client.js';

/**
 * `orchestra mcp`: the MCP server agents use to manage their own work. A thin layer over the
 * daemon's JSON-RPC interface, as the CLI is (DESIGN.md §1). It belongs to one project and,
 * when Orchestra started the agent, to one task: ORCHESTRA_PROJECT_ROOT and ORCHESTRA_TASK_ID,
 * else the directory it was started in. It never reaches another project.
 */
export async function runMcpServer(): Promise<void> {
  const scope = {
    cwd: process.env.ORCHESTRA_PROJECT_ROOT || process.cwd(),
    ownTask: process.env.ORCHESTRA_TASK_ID || undefined,
  };
  const server = new McpServer({ name: 'orchestra', version: VERSION });
  registerTools(server, scope);
  await server.connect(new StdioServerTransport());
}

interface Scope {
  cwd: string;
  ownTask: string | undefined;
}

const taskRef = z.string().min(1).describe('A task: its id (3), slug (fix-tests) or both (3:fix-tests)');
const ownTaskRef = taskRef.optional().describe('A task: its id, slug or id:slug; default: your own task');

function registerTools(server: McpServer, scope: Scope): void {
  const { cwd } = scope;
  const own = (ref: string | undefined): string => {
    const chosen = ref ?? scope.ownTask;
    if (!chosen) throw new UsageError('Name a task: this server was not started by Orchestra for a task of its own.');
    return chosen;
  };

  server.registerTool(
    'list_tasks',
    {
      description: "List the project's tasks with their status, agent and title; optionally only those with one status.",
      inputSchema: { status: z.enum(TASK_STATUSES).optional().describe('Only tasks with this status') },
    },
    ({ status }) =>
      answer(async () => {
        const { tasks } = await withDaemon((c) => c.request(Methods.listTasks, { cwd }));
        const shown = status ? tasks.filter((t) => t.status === status) : tasks;
        return { text: shown.length > 0 ? shown.map(line).join('\n') : 'No tasks.', data: { tasks: shown } };
      }),
  );

  server.registerTool(
    'get_task',
    { description: "A task's settings and description (default: your own task).", inputSchema: { task: ownTaskRef } },
    ({ task }) =>
      answer(async () => {
        const detail = await withDaemon((c) => c.request(Methods.getTask, { cwd, ref: own(task) }));
        return { text: `${line(detail)}\n\n${detail.description.trim()}`, data: { task: detail } };
      }),
  );

  server.registerTool(
    'create_task',
    {
      description: 'Create a new task (a draft) for work to split off; with start, also start its agent in its own worktree.',
      inputSchema: {
        slug: z.string().describe('Short name: lowercase letters, digits and dashes (fix-login-tests)'),
        description: z.string().min(1).describe("What to do: the new agent's first prompt"),
        base_branch: z.string().min(1).optional().describe('Branch to start from (default: the current branch of the main checkout)'),
        start: z.boolean().optional().describe("Start the task's agent right away"),
      },
    },
    ({ slug, description, base_branch, start }) =>
      answer(async () => {
        let task = await withDaemon((c) => c.request(Methods.createTask, { cwd, slug, description, ...(base_branch ? { base_branch } : {}) }));
        if (start) task = await withDaemon((c) => c.request(Methods.startTask, { cwd, ref: String(task.id), env: agentEnv() }));
        return { text: `Created ${task.ref}${start ? ', its agent runs' : ' (draft)'}.`, data: { task } };
      }),
  );

  server.registerTool(
    'start_task',
    { description: "Start a task's agent in the background, in the task's own worktree.", inputSchema: { task: taskRef } },
    ({ task }) =>
      answer(async () => {
        const started = await withDaemon((c) => c.request(Methods.startTask, { cwd, ref: task, env: agentEnv() }));
        return { text: `Started ${started.ref}; its agent runs in ${started.worktree}.`, data: { task: started } };
      }),
  );

  server.registerTool(
    'stop_task',
    { description: "Stop a task's agent; its worktree stays.", inputSchema: { task: taskRef, force: z.boolean().optional().describe('Kill at once') } },
    ({ task, force }) =>
      answer(async () => {
        const result = await withDaemon((c) => c.request(Methods.stopTask, { cwd, ref: task, force: force ?? false }));
        return { text: result.was_running ? `Stopped ${result.task.ref} (${result.how}).` : `${result.task.ref} had no agent running.`, data: { ...result } };
      }),
  );

  server.registerTool(
    'complete_task',
    { description: 'Mark a task completed: its work is done and ready for review (default: your own task).', inputSchema: { task: ownTaskRef } },
    ({ task }) => answer(async () => statusAnswer(await withDaemon((c) => c.request(Methods.completeTask, { cwd, ref: own(task) })))),
  );

  server.registerTool(
    'set_task_status',
    {
      description: "Set a task's status (default: your own task).",
      inputSchema: { task: ownTaskRef, status: z.enum(TASK_STATUSES) },
    },
    ({ task, status }) => answer(async () => statusAnswer(await withDaemon((c) => c.request(Methods.setTaskStatus, { cwd, ref: own(task), status })))),
  );

  server.registerTool(
    'read_task_screen',
    {
      description: "Another task's agent's screen as text, as a person attached to it would see it now.",
      inputSchema: { task: taskRef, lines: z.number().int().min(0).max(10_000).optional().describe('Lines of scrollback above the screen (default 0)') },
    },
    ({ task, lines }) =>
      answer(async () => {
        const connection = await openControl(cwd, task);
        try {
          const text = await connection.screen(lines ?? 0, false);
          return { text: text === '' ? '(the screen is empty)' : text, data: { task, screen: text } };
        } finally {
          connection.close();
        }
      }),
  );
}

/** A tool's answer: concise text plus structured content; a failure becomes a tool error with the CLI's sentence. */
async function answer(run: () => Promise<{ text: string; data: Record<string, unknown> }>): Promise<CallToolResult> {
  try {
    const { text, data } = await run();
    return { content: [{ type: 'text', text }], structuredContent: data };
  } catch (error) {
    return { content: [{ type: 'text', text: (error as Error).message }], isError: true };
  }
}

function statusAnswer(task: TaskInfo): { text: string; data: Record<string, unknown> } {
  return { text: `${task.ref} is ${task.status}.`, data: { task } };
}

function line(task: TaskInfo): string {
  return `${task.ref}  ${task.status}${task.alive ? ' (agent running)' : ''}  ${task.agent}  ${task.title}`;
}

/** The environment an agent started from here gets: this server's, which is its caller's agent's. */
function agentEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}
