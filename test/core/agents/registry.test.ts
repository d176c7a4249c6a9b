import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertKnownEvent } from '../../../src/core/agent-events.js';
import type { AgentModule } from '../../../src/core/agents/agent.js';
import { BUILT_IN_AGENTS, builtInAgent, eventTable, HOOK_EVENTS } from '../../../src/core/agents/registry.js';
import { agentNames, DEFAULT_CONFIG } from '../../../src/core/config.js';

describe('the agents Orchestra ships', () => {
  it('are one module each, known by name to the config and to orchestra hook', () => {
    assert.deepEqual(agentNames(DEFAULT_CONFIG), ['opencode', 'claude', 'demo']);
    for (const agent of BUILT_IN_AGENTS) {
      assert.equal(builtInAgent(agent.name), agent);
      for (const event of Object.keys(agent.events)) assert.doesNotThrow(() => assertKnownEvent(event), event);
    }
    assert.equal(builtInAgent('mine'), undefined);
    assert.deepEqual(HOOK_EVENTS.slice(0, 3), ['running', 'idle', 'waiting']);
  });

  it('refuses an event name two agents would share', () => {
    const agent = (name: string, event: string): AgentModule => ({ name, command: [name], resume: [name], env: {}, idle_after: 3, install: '', patterns: [], events: { [event]: { read: () => null } } });
    assert.deepEqual([...eventTable([agent('a', 'Started'), agent('b', 'Ended')]).keys()], ['running', 'idle', 'waiting', 'Started', 'Ended']);
    assert.throws(() => eventTable([agent('a', 'Started'), agent('b', 'Started')]), /The event 'Started' of the agent 'b' is one another agent or a plain state has/);
    assert.throws(() => eventTable([agent('a', 'idle')]), /'idle'/);
  });
});
