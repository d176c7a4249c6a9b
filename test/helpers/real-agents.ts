import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from './sandbox.js';

/**
 * How the tests run the real agents, Claude Code and OpenCode, offline against a fake model
 * on 127.0.0.1 (DESIGN.md §8), each in a HOME of its own. A test that drives a real agent
 * gets its environment from claudeEnv or opencodeEnv: `npm run test:agents` runs every such
 * test (test/real-agents.sh), against the pinned devDependencies or, with `--latest`, the
 * newest releases.
 */

/**
 * Where the real agents are: ORCHESTRA_TEST_AGENT_BIN (test/real-agents.sh --latest sets it
 * to the newest releases it installed), else node_modules/.bin with the pinned
 * devDependencies. First on PATH: the built-in profiles find them there.
 */
export const AGENT_BIN = process.env.ORCHESTRA_TEST_AGENT_BIN || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '.bin');

/**
 * A HOME for Claude Code: onboarding done, `trusted` folders trusted, and the user's
 * `settings` (~/.claude/settings.json), when given: a permission mode of their choice. Its
 * offer to make auto mode the default (shown after a turn when the settings choose another
 * mode) answered once already, as a user of it has: test/core/agents.test.ts has the dialog.
 */
export function claudeHome(sandbox: Sandbox, name: string, trusted: string[], settings?: Record<string, unknown>): string {
  const home = join(sandbox.root, name);
  mkdirSync(home, { recursive: true });
  const projects = Object.fromEntries(trusted.map((path) => [path, { hasTrustDialogAccepted: true }]));
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, hasSeenAutoDefaultNudge: true, projects }));
  if (settings) {
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify(settings));
  }
  return home;
}

/** The environment `orchestra start` passes on to Claude Code: the model at `url`, nothing sent elsewhere. */
export function claudeEnv(sandbox: Sandbox, url: string, home: string): Record<string, string> {
  return {
    ...(sandbox.env as Record<string, string>),
    PATH: `${AGENT_BIN}:${process.env.PATH}`,
    HOME: home,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_AUTH_TOKEN: 'fake',
    ENABLE_TOOL_SEARCH: 'false',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/**
 * What OpenCode leaves in a config directory once it has installed its plugin dependencies
 * there (it does so on every start, in the background): with these, OpenCode with a plugin
 * starts at once instead of waiting for npm (DESIGN.md §8).
 */
export function installedOpenCodeDependencies(dir: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  const dependencies = { '@opencode-ai/plugin': '1.18.33' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'opencode', lockfileVersion: 3, requires: true, packages: { '': { dependencies } } }));
}

/**
 * The environment for OpenCode: its own HOME, where OpenCode has run before (unless `fresh`:
 * a machine where it never ran, and no registry to install from), and the user's config
 * content naming the model at `url` as a custom provider, with `config` (Orchestra adds its
 * MCP server and plugin to it).
 */
export function opencodeEnv(sandbox: Sandbox, url: string, name: string, options: { config?: Record<string, unknown>; fresh?: boolean } = {}): Record<string, string> {
  const home = join(sandbox.root, name);
  mkdirSync(home, { recursive: true });
  if (!options.fresh) installedOpenCodeDependencies(join(home, '.config', 'opencode'));
  const config = {
    model: 'fake/m',
    small_model: 'fake/m',
    autoupdate: false,
    share: 'disabled',
    provider: { fake: { npm: '@ai-sdk/openai-compatible', name: 'Fake', options: { baseURL: url, apiKey: 'fake' }, models: { m: { name: 'M', tool_call: true } } } },
    ...options.config,
  };
  const env: Record<string, string> = {
    ...(sandbox.env as Record<string, string>),
    PATH: `${AGENT_BIN}:${process.env.PATH}`,
    HOME: home,
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    // Offline: its model list would be fetched from models.dev, in vain.
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    ...(options.fresh ? { npm_config_registry: 'http://127.0.0.1:9/' } : {}),
  };
  for (const variable of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME']) delete env[variable];
  return env;
}
