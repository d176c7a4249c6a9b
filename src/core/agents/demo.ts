import { fileURLToPath } from 'node:url';
import type { AgentModule } from './agent.js';

/** The demo agent's program, shipped with Orchestra (src/demo/demo-agent.ts). */
export const DEMO_AGENT_SCRIPT = fileURLToPath(new URL('../../demo/demo-agent.js', import.meta.url));

/**
 * The demo agent: needs nothing installed (`orchestra demo`, the tests). It reports nothing
 * itself; its screen says when it asks a question.
 */
export const demo: AgentModule = {
  name: 'demo',
  command: [process.execPath, DEMO_AGENT_SCRIPT, '--prompt-file', '{prompt_file}'],
  resume: [process.execPath, DEMO_AGENT_SCRIPT, '--continue', '--prompt-file', '{prompt_file}'],
  env: {},
  idle_after: 2,
  install: '',
  patterns: [{ match: '^Question: .*\\? >$', status: 'waiting', reason: 'an answer to its question' }],
  events: {},
};
