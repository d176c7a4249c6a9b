import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from './sandbox.js';

/**
 * How the tests run the real agents, Claude Code and OpenCode from devDependencies, offline
 * against a fake model on 127.0.0.1 (DESIGN.md §8), each in a HOME of its own.
 */

/** node_modules/.bin, where the real agents are: first on PATH, the built-in profiles find them. */
export const AGENT_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '.bin');

/** A HOME for Claude Code: onboarding done, and `trusted` folders trusted. */
export function claudeHome(sandbox: Sandbox, name: string, trusted: string[]): string {
  const home = join(sandbox.root, name);
  mkdirSync(home, { recursive: true });
  const projects = Object.fromEntries(trusted.map((path) => [path, { hasTrustDialogAccepted: true }]));
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects }));
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
 * The environment for OpenCode: its own HOME, and the user's config content naming the
 * model at `url` as a custom provider (Orchestra adds its MCP server and plugin to it).
 */
export function opencodeEnv(sandbox: Sandbox, url: string, name: string, extra: Record<string, unknown> = {}): Record<string, string> {
  const home = join(sandbox.root, name);
  mkdirSync(home, { recursive: true });
  const config = {
    model: 'fake/m',
    small_model: 'fake/m',
    autoupdate: false,
    share: 'disabled',
    provider: { fake: { npm: '@ai-sdk/openai-compatible', name: 'Fake', options: { baseURL: url, apiKey: 'fake' }, models: { m: { name: 'M', tool_call: true } } } },
    ...extra,
  };
  const env: Record<string, string> = { ...(sandbox.env as Record<string, string>), PATH: `${AGENT_BIN}:${process.env.PATH}`, HOME: home, OPENCODE_CONFIG_CONTENT: JSON.stringify(config) };
  for (const variable of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME']) delete env[variable];
  return env;
}
