/**
 * How right the status Orchestra shows is, for each real agent (issue 17): Claude Code and
 * OpenCode, as pinned in package.json, run scripted scenarios against the fake model
 * (test/helpers/fake-model.ts), and the status the daemon announces is compared with what
 * the agent was really doing.
 *
 * Ground truth, from the fake model's record of each scripted reply and the bench's own acts:
 * - running: from `start` or a prompt typed, and from the moment a request of the agent's
 *   own pipeline opens (its main conversation or a sub-agent's; not a side errand such as a
 *   title, which offers no tools);
 * - idle: from the last byte of a reply that ends the turn (no tool call to run, nothing
 *   further asked of the model), or from the interrupt key sent;
 * - waiting (idle, with a `waiting` reason): from the last byte of the reply whose tool call
 *   asks a person (a permission, a question) until the bench answers it;
 * - completed: from the last byte of the reply that calls complete_task through MCP; it stays.
 *
 * Measured, from the daemon's change events (`task.subscribe`, as `orchestra status --watch`
 * sees them), sampled every 100 ms over each scenario (from its first act until 3 s after
 * the truth settled): agreement, the share of samples whose status is the true one, leaving
 * out the samples within 1 s after each true change; the latency of each true change (until
 * the daemon shows the same); false idle (idle while truly running), false waiting (waiting
 * while truly not) and missed waiting (a true wait the daemon never showed), each counted
 * once per stretch. Goal per agent: ≥ 99 % agreement, every change within 1 s (idle within
 * 2 s of the reply's last byte), no false idle, no false or missed waiting.
 *
 * Every scenario but the first is a prompt typed into the same task (its conversation goes
 * on, as a person's does); the MCP completion comes last, since it completes the task.
 * BENCH_AGENTS (claude,opencode) and BENCH_SCENARIOS (names, comma separated) pick;
 * BENCH_HOLD_MS (8000) is how long a dialog stays unanswered (past Claude Code's
 * notification, ~6 s after it asks); BENCH_IDLE_AFTER sets the profiles' `idle_after` (s), for trying
 * another value.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Methods, type TaskDetail, type TaskInfo } from '../protocol/daemon.js';
import { HolderConnection } from '../protocol/holder-client.js';
import { FakeAnthropic, FakeOpenAI, type Exchange, type Reply } from '../test/helpers/fake-model.js';
import { claudeEnv, claudeHome, opencodeEnv } from '../test/helpers/real-agents.js';
import { Sandbox, git } from '../test/helpers/sandbox.js';
import { TaskTimeline, type TaskState } from '../test/helpers/task-timeline.js';
import { sleep, until } from './common.js';

const SAMPLE_MS = 100;
/** Samples this soon after a true change are not judged: the status needs a moment to follow. */
const GRACE_MS = 1000;
/** Watched after the truth settled, for a status that changes late or flaps. */
const TAIL_MS = 3000;
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 8000);
/** How long the interrupted reply streams before the interrupt. */
const INTERRUPT_AFTER_MS = 3000;
const THINK_MS = 20_000;

type Truth = 'running' | 'idle' | 'waiting' | 'completed';

/** A scripted reply and what its end means; a reply without `then` (a title) is no part of the truth. */
interface Step extends Reply {
  then?: Truth;
}

/** What differs between the agents: their tools' names and inputs, their keys and dialogs. */
interface Agent {
  name: 'claude' | 'opencode';
  model: FakeAnthropic | FakeOpenAI;
  env(sandbox: Sandbox, url: string, repo: string): Record<string, string>;
  tools: { bash: string; read: string; question: string; subagent: string; complete: string };
  readInput(path: string): Record<string, unknown>;
  subagentInput(prompt: string): Record<string, unknown>;
  /** Keys that interrupt a reply, typed 300 ms apart; the last is the true moment. */
  interrupt: string[];
  allow: string;
  choose: string;
  /** The permission dialog on the screen. */
  permissionShown: RegExp;
}

/** What the prompt of a sub-agent starts with: its requests are told from the main conversation's by it. */
const SUBTASK = 'SUBTASK';
const HAND_OVER = 'Hand it to a sub-agent.';
/** A request of the sub-agent: its conversation has the prompt it was given, not the person's. */
const bySubAgent = (conversation: string) => conversation.includes(SUBTASK) && !conversation.includes(HAND_OVER);
const QUESTION = 'Which colour should the file be?';
const questionInput = { questions: [{ question: QUESTION, header: 'Colour', multiSelect: false, options: [{ label: 'Red', description: 'A red file' }, { label: 'Blue', description: 'A blue file' }] }] };

const AGENTS: Agent[] = [
  {
    name: 'claude',
    model: new FakeAnthropic('', ''),
    // Manual mode: every permission is asked through a dialog with its hook (README, "Claude Code's auto mode").
    env: (sandbox, url, repo) => claudeEnv(sandbox, url, claudeHome(sandbox, 'claude-home', [realpathSync(repo)], { permissions: { defaultMode: 'default', allow: ['Bash(sleep:*)'] } })),
    tools: { bash: 'Bash', read: 'Read', question: 'AskUserQuestion', subagent: 'Agent', complete: 'mcp__orchestra__complete_task' },
    readInput: (path) => ({ file_path: path }),
    // It runs in the background (2.1.332 does so even when asked not to): the turn ends while it works.
    subagentInput: (prompt) => ({ description: 'Do the sub-task', prompt, subagent_type: 'general-purpose' }),
    interrupt: ['\u001b'],
    allow: '1',
    choose: '1',
    permissionShown: /Do you want to proceed\?/,
  },
  {
    name: 'opencode',
    model: new FakeOpenAI('', ''),
    env: (sandbox, url) => opencodeEnv(sandbox, url, 'opencode-home', { config: { permission: { bash: { '*': 'ask', 'sleep *': 'allow' } } } }),
    tools: { bash: 'bash', read: 'read', question: 'question', subagent: 'task', complete: 'orchestra_complete_task' },
    readInput: (path) => ({ filePath: path }),
    subagentInput: (prompt) => ({ description: 'Do the sub-task', prompt, subagent_type: 'general' }),
    interrupt: ['\u001b', '\u001b'],
    allow: '\r',
    choose: '\r',
    permissionShown: /Permission required|Allow once/i,
  },
];

/** What a scenario may do while it runs, and what it records of its own acts. */
interface Run {
  agent: Agent;
  connection: HolderConnection;
  /** The bench's acts that change the truth: an answer (running), an interrupt (idle). */
  acts: { at: number; state: Truth }[];
  /** The exchanges of this scenario so far. */
  exchanges(): Exchange[];
  screen(): Promise<string>;
}

interface Scenario {
  name: string;
  /** The prompt (the task's description for the first). */
  prompt: string;
  /** The model's reply to a request of this scenario: `last` is the request's last message and `conversation` all of them, as JSON; `worktree` the task's. */
  reply(agent: Agent, last: string, worktree: string, conversation: string): Step;
  act?(run: Run): Promise<void>;
}

/** What the end of an exchange's reply means (the bench's script gave every reply a Step). */
const meaning = (e: Exchange) => (e.reply as Step).then;

const isToolResult = (last: string) => last.includes('tool_result') || last.includes('"role":"tool"');

/** The reply to the prompt, then the reply after its tool call's result (a turn of two requests). */
function twoSteps(first: (agent: Agent, worktree: string) => Step, after: Step): Scenario['reply'] {
  return (agent, last, worktree) => (isToolResult(last) ? after : first(agent, worktree));
}

/** Waits for the reply that asks to end and its dialog to show, leaves it unanswered HOLD_MS, then answers with `key`. */
async function answerDialog(run: Run, shown: (screen: string) => boolean, key: string): Promise<void> {
  await until('the reply that asks', () => run.exchanges().some((e) => meaning(e) === 'waiting' && e.lastByte !== undefined), 120_000);
  const asked = run.exchanges().find((e) => meaning(e) === 'waiting')!.lastByte!;
  await untilAsync('the dialog on the screen', async () => shown(await run.screen()), 30_000);
  await sleep(Math.max(0, asked + HOLD_MS - Date.now()));
  // The key reaches the agent at once; the holder answers once the agent has taken it, later.
  run.acts.push({ at: Date.now(), state: 'running' });
  await run.connection.type(key, false);
}

const SCENARIOS: Scenario[] = [
  { name: 'start-up', prompt: 'Say hello.', reply: () => ({ text: 'Hello.', ms: 300, then: 'idle' }) },
  { name: 'streamed reply', prompt: 'Count slowly to eight.', reply: () => ({ text: 'Counting slowly: one, two, three, four, five, six, seven, eight.', ms: 4000, then: 'idle' }) },
  {
    name: 'tool call',
    prompt: 'Read the README.',
    reply: twoSteps((agent, worktree) => ({ text: 'Let me read it. ', ms: 1000, tool: { name: agent.tools.read, input: agent.readInput(join(worktree, 'README.md')) }, then: 'running' }), { text: 'It is a title.', ms: 1000, then: 'idle' }),
  },
  {
    // A command that prints nothing for a while, allowed in the settings: no hook and a still screen but the agent's own.
    name: 'slow command (8 s)',
    prompt: 'Wait a while.',
    reply: twoSteps((agent) => ({ text: 'Waiting. ', ms: 500, tool: { name: agent.tools.bash, input: { command: 'sleep 8', description: 'Wait' } }, then: 'running' }), { text: 'Waited.', ms: 500, then: 'idle' }),
  },
  {
    name: 'permission',
    prompt: 'Write a file.',
    reply: twoSteps((agent) => ({ text: 'I will write it. ', ms: 1500, tool: { name: agent.tools.bash, input: { command: 'echo hi > out.txt', description: 'Write a file' } }, then: 'waiting' }), { text: 'Written.', ms: 1000, then: 'idle' }),
    act: (run) => answerDialog(run, (screen) => run.agent.permissionShown.test(screen), run.agent.allow),
  },
  {
    name: 'question',
    prompt: 'Ask me a question.',
    reply: twoSteps((agent) => ({ text: 'One question first. ', ms: 1500, tool: { name: agent.tools.question, input: questionInput }, then: 'waiting' }), { text: 'Red it is.', ms: 1000, then: 'idle' }),
    act: (run) => answerDialog(run, (screen) => screen.includes(QUESTION), run.agent.choose),
  },
  {
    name: 'interrupt',
    prompt: 'Count to a hundred.',
    reply: () => ({ text: Array.from({ length: 100 }, (_, i) => `${i + 1},`).join(' '), ms: 30_000, then: 'idle' }),
    act: async (run) => {
      await until('the reply to stream', () => run.exchanges().some((e) => e.firstByte !== undefined), 120_000);
      await sleep(INTERRUPT_AFTER_MS);
      for (const [i, key] of run.agent.interrupt.entries()) {
        if (i > 0) await sleep(300);
        if (i === run.agent.interrupt.length - 1) run.acts.push({ at: Date.now(), state: 'idle' });
        await run.connection.type(key, false);
      }
    },
  },
  { name: 'thinking (20 s silent)', prompt: 'Think it over.', reply: () => ({ text: 'Thought it over.', silentMs: THINK_MS, ms: 500, then: 'idle' }) },
  {
    name: 'sub-agent',
    prompt: HAND_OVER,
    reply: (agent, last, _worktree, conversation) => {
      if (bySubAgent(conversation)) return { text: 'Sub-task done.', ms: 2000, then: 'running' };
      // Claude Code runs it in the background (its default since 2.1.2xx): the turn ends, the sub-agent works on, and its end starts a turn of its own.
      if (isToolResult(last)) return /launched/i.test(last) ? { text: 'The sub-agent works on it.', ms: 500, then: 'running' } : { text: 'The sub-agent is done.', ms: 1000, then: 'idle' };
      return { text: 'Handing it over. ', ms: 1000, tool: { name: agent.tools.subagent, input: agent.subagentInput(`${SUBTASK}: reply that it is done.`) }, then: 'running' };
    },
  },
  {
    name: 'MCP completion',
    prompt: 'Mark this task completed.',
    reply: twoSteps((agent) => ({ text: 'Completing. ', ms: 1000, tool: { name: agent.tools.complete, input: {} }, then: 'completed' }), { text: 'Marked the task completed.', ms: 1000, then: 'completed' }),
  },
];

async function untilAsync(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The status a person sees, in the truth's words. */
function shown(state: TaskState | undefined): string {
  if (!state) return 'none';
  if (state.status === 'idle') return state.waiting ? 'waiting' : 'idle';
  if (state.status === 'reviewed') return 'completed';
  return state.status;
}

interface Change {
  at: number;
  state: Truth;
}

/** The true changes of one scenario from `from` on: its acts and the model's record. */
function truthOf(from: number, exchanges: Exchange[], acts: Change[]): Change[] {
  const events: Change[] = [{ at: from, state: 'running' }, ...acts];
  for (const e of exchanges) {
    const then = meaning(e);
    if (!then) continue;
    events.push({ at: e.opened, state: 'running' });
    if (e.lastByte !== undefined) events.push({ at: e.lastByte, state: then });
  }
  events.sort((a, b) => a.at - b.at);
  const changes: Change[] = [];
  for (const event of events) {
    const now = changes.at(-1)?.state;
    // Completed stays, through the rest of the turn that completed it.
    if (now === 'completed' || now === event.state) continue;
    changes.push(event);
  }
  return changes;
}

interface Measure {
  agent: string;
  scenario: string;
  samples: number;
  right: number;
  /** Each true change: to what, and ms until the daemon showed it (Infinity: never, before the next). */
  latencies: { to: Truth; ms: number }[];
  falseIdle: number;
  falseWaiting: number;
  missedWaiting: number;
  note?: string;
}

const empty = (agent: string, scenario: string): Measure => ({ agent, scenario, samples: 0, right: 0, latencies: [], falseIdle: 0, falseWaiting: 0, missedWaiting: 0 });

/** Compares the daemon's states with the truth over [from, to]. */
function measure(agent: string, scenario: string, truth: Change[], states: TaskState[], from: number, to: number): Measure {
  const at = <T extends { at: number }>(list: T[], t: number) => list.filter((x) => x.at <= t).at(-1);
  const m = empty(agent, scenario);
  let previous: { falseIdle: boolean; falseWaiting: boolean } = { falseIdle: false, falseWaiting: false };
  for (let t = from; t <= to; t += SAMPLE_MS) {
    if (truth.some((c) => t >= c.at && t < c.at + GRACE_MS)) {
      previous = { falseIdle: false, falseWaiting: false };
      continue;
    }
    const want = at(truth, t)!.state;
    const got = shown(at(states, t));
    m.samples++;
    if (got === want) m.right++;
    const now = { falseIdle: got === 'idle' && want === 'running', falseWaiting: got === 'waiting' && want !== 'waiting' };
    if (now.falseIdle && !previous.falseIdle) m.falseIdle++;
    if (now.falseWaiting && !previous.falseWaiting) m.falseWaiting++;
    previous = now;
  }
  for (const [i, change] of truth.entries()) {
    const until = truth[i + 1]?.at ?? to;
    const before = at(states, change.at);
    const entered = shown(before) === change.state ? change.at : states.find((s) => s.at > change.at && s.at <= until && shown(s) === change.state)?.at;
    m.latencies.push({ to: change.state, ms: entered === undefined ? Infinity : entered - change.at });
    if (change.state === 'waiting') {
      const seen = shown(before) === 'waiting' || states.some((s) => s.at > change.at && s.at <= until + GRACE_MS && shown(s) === 'waiting');
      if (!seen) m.missedWaiting++;
    }
  }
  return m;
}

/** Whether the measure meets the goal: ≥ 99 % agreement, changes within 1 s (idle within 2 s), no false or missed status. */
function meetsGoal(m: Measure): boolean {
  const fast = m.latencies.every((l) => l.ms <= (l.to === 'idle' ? 2000 : 1000));
  return m.right >= 0.99 * m.samples && fast && m.falseIdle === 0 && m.falseWaiting === 0 && m.missedWaiting === 0;
}

const ms = (value: number) => (value === Infinity ? 'never' : `${Math.round(value)}`);

function printTable(measures: Measure[]): void {
  const header = ['agent', 'scenario', 'agreement', 'changes: latency ms', 'false idle', 'false waiting', 'missed waiting', 'goal'];
  const row = (m: Measure) => [
    m.agent,
    m.scenario,
    m.note ? '—' : `${((100 * m.right) / Math.max(1, m.samples)).toFixed(1)} %`,
    m.note ?? m.latencies.map((l) => `${l.to} ${ms(l.ms)}`).join(', '),
    m.note ? '' : String(m.falseIdle),
    m.note ? '' : String(m.falseWaiting),
    m.note ? '' : String(m.missedWaiting),
    m.note ? '' : meetsGoal(m) ? 'yes' : 'NO',
  ];
  const rows: string[][] = [];
  for (const agent of new Set(measures.map((m) => m.agent))) {
    rows.push(...measures.filter((m) => m.agent === agent).map(row));
    const mine = measures.filter((m) => m.agent === agent && !m.note);
    const total: Measure = {
      agent,
      scenario: 'all',
      samples: mine.reduce((n, m) => n + m.samples, 0),
      right: mine.reduce((n, m) => n + m.right, 0),
      latencies: mine.flatMap((m) => m.latencies),
      falseIdle: mine.reduce((n, m) => n + m.falseIdle, 0),
      falseWaiting: mine.reduce((n, m) => n + m.falseWaiting, 0),
      missedWaiting: mine.reduce((n, m) => n + m.missedWaiting, 0),
    };
    const worst = (to: Truth) => Math.max(-1, ...total.latencies.filter((l) => l.to === to).map((l) => l.ms));
    const worstText = (['running', 'idle', 'waiting', 'completed'] as Truth[]).filter((to) => worst(to) >= 0).map((to) => `${to} ≤ ${ms(worst(to))}`).join(', ');
    rows.push([agent, 'all (worst)', `${((100 * total.right) / Math.max(1, total.samples)).toFixed(1)} %`, worstText, String(total.falseIdle), String(total.falseWaiting), String(total.missedWaiting), meetsGoal(total) ? 'yes' : 'NO']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

/** Runs every chosen scenario with one agent, in one task, and measures each. */
async function benchAgent(agent: Agent, scenarios: Scenario[]): Promise<Measure[]> {
  const sandbox = new Sandbox();
  const url = await agent.model.listen();
  const repo = sandbox.repo();
  mkdirSync(join(repo, '.orchestra'), { recursive: true });
  const idleAfter = process.env.BENCH_IDLE_AFTER ? `agents:\n  ${agent.name}:\n    idle_after: ${Number(process.env.BENCH_IDLE_AFTER)}\n` : '';
  writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: ${agent.name}\n${idleAfter}`);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'config');
  const env = agent.env(sandbox, url, repo);
  const measures: Measure[] = [];
  let current: Scenario = scenarios[0]!;
  let firstExchange = 0;
  let worktree = '';
  /** Whether the current scenario's prompt has had its reply: a request that starts over (a background agent's notice) gets a plain one. */
  let prompted = false;
  agent.model.follow(({ messages, tools }) => {
    // Requests without the agent's tools are its side errands (a title, a summary).
    if (!tools.includes(agent.tools.bash) && !tools.includes(agent.tools.read)) return { text: 'A title' };
    if (process.env.BENCH_VERBOSE && agent.model.exchanges.length === 0) console.log(`${agent.name} offers the tools ${tools.join(' ')}`);
    const last = JSON.stringify(messages.at(-1));
    const conversation = JSON.stringify(messages);
    if (!isToolResult(last) && !bySubAgent(conversation)) {
      if (prompted) {
        if (process.env.BENCH_VERBOSE) console.log(`  ${agent.name} request that starts over: ${last.slice(0, 300)}`);
        return { text: 'Nothing more.', ms: 200, then: 'idle' };
      }
      prompted = true;
    }
    const step = current.reply(agent, last, worktree, conversation);
    if (process.env.BENCH_VERBOSE) console.log(`  ${agent.name} request: ${last.slice(0, 160)} → ${step.then}${step.tool ? ` ${step.tool.name}` : ''}`);
    return step;
  });
  const { client } = await sandbox.rpc({ start: true });
  let connection: HolderConnection | undefined;
  let timeline: TaskTimeline | undefined;
  try {
    const task = await client.request<TaskInfo>(Methods.createTask.method, { cwd: repo, slug: 'bench', description: scenarios[0]!.prompt });
    const ref = String(task.id);
    timeline = await TaskTimeline.follow(sandbox, repo, ref);
    for (const [index, scenario] of scenarios.entries()) {
      current = scenario;
      prompted = false;
      firstExchange = agent.model.exchanges.length;
      const acts: Change[] = [];
      let from: number;
      if (index === 0) {
        from = Date.now();
        worktree = (await client.request<TaskDetail>(Methods.startTask.method, { cwd: repo, ref, env, cols: 120, rows: 40 })).worktree!;
        const info = await client.request<{ socket: string }>(Methods.terminal.method, { cwd: repo, ref });
        connection = await HolderConnection.open(info.socket, { role: 'control', cols: 120, rows: 40 });
      } else {
        await connection!.type(scenario.prompt, true);
        from = Date.now();
      }
      const exchanges = () => agent.model.exchanges.slice(firstExchange);
      const run: Run = { agent, connection: connection!, acts, exchanges, screen: () => connection!.screen(0, false) };
      let note: string | undefined;
      try {
        await scenario.act?.(run);
        await settled(agent, () => truthOf(from, exchanges(), acts));
        // A status that follows late is waited for (up to 10 s), so that its latency is measured.
        const final = truthOf(from, exchanges(), acts).at(-1)!.state;
        await until('the status to follow', () => shown(timeline!.now) === final, 10_000).catch(() => undefined);
      } catch (error) {
        note = `failed: ${(error as Error).message}`;
        console.log(`${agent.name} / ${scenario.name}: ${note}; the screen:\n${await run.screen()}`);
      }
      const to = Date.now();
      const truth = truthOf(from, exchanges(), acts);
      const m = measure(agent.name, scenario.name, truth, timeline.states, from, to);
      if (note) m.note = note;
      measures.push(m);
      if (process.env.BENCH_VERBOSE) console.log(`${agent.name} / ${scenario.name}: truth ${truth.map((c) => `${c.state}@${c.at - from}`).join(' ')}; daemon ${timeline.states.filter((s) => s.at >= from - 5000).map((s) => `${shown(s)}@${s.at - from}`).join(' ')}`);
      if (note) {
        // The task is in no known state: the rest are listed, not run.
        for (const rest of scenarios.slice(index + 1)) measures.push({ ...empty(agent.name, rest.name), note: `not run: ${scenario.name} failed` });
        break;
      }
    }
    if (process.env.BENCH_VERBOSE) console.log((await sandbox.run(['logs', ref], { cwd: repo })).stdout);
  } finally {
    timeline?.close();
    connection?.close();
    client.close();
    await sandbox.cleanup();
    await agent.model.close();
  }
  return measures;
}

/** Waits until the truth has been idle (or completed) with no reply streaming for TAIL_MS. */
async function settled(agent: Agent, truth: () => Change[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  let quietSince: number | undefined;
  for (;;) {
    const state = truth().at(-1)!.state;
    const quiet = (state === 'idle' || state === 'completed') && agent.model.streaming === 0;
    if (!quiet) quietSince = undefined;
    else if ((quietSince ??= Date.now()) + TAIL_MS <= Date.now()) return;
    if (Date.now() > deadline) throw new Error(`the turn did not end (truth: ${state})`);
    await sleep(SAMPLE_MS);
  }
}

async function main(): Promise<void> {
  const pick = (env: string | undefined) => env?.split(',').map((s) => s.trim()).filter(Boolean);
  const agentNames = pick(process.env.BENCH_AGENTS);
  const scenarioNames = pick(process.env.BENCH_SCENARIOS);
  const scenarios = SCENARIOS.filter((s, i) => i === 0 || !scenarioNames || scenarioNames.includes(s.name));
  console.log(`Status accuracy (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on entry)`);
  const measures: Measure[] = [];
  for (const agent of AGENTS.filter((a) => !agentNames || agentNames.includes(a.name))) measures.push(...(await benchAgent(agent, scenarios)));
  printTable(measures);
  console.log(`load average on exit: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
