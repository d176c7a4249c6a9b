import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, writePrivateFile } from '../platform/private-files.js';

/**
 * The credentials Orchestra gives the agents it starts (DESIGN.md §1): ORCHESTRA_TOKEN, an
 * HMAC of the project's root under a secret only the daemon reads. A client that says hello
 * with it reaches that project alone — so an agent working on one repository, or a prompt
 * injected into it, cannot read or change the tasks of another through Orchestra's CLI,
 * hooks or MCP server. A person's own commands carry no token and reach everything. It is
 * no sandbox: the agent runs as the person and could read their files; it keeps Orchestra's
 * own tools to the agent's project.
 */
export class AgentTokens {
  private constructor(private readonly secret: Buffer) {}

  /** The daemon's secret from the state directory, made (0600) at first use; it outlives daemons, as agents do. */
  static load(stateDir: string): AgentTokens {
    const path = join(stateDir, 'agent-token.key');
    try {
      return new AgentTokens(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'));
    } catch {
      makePrivateDir(stateDir);
      writePrivateFile(path, `${randomBytes(32).toString('hex')}\n`);
      return new AgentTokens(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'));
    }
  }

  /** The token for agents of the project at `root`. */
  forProject(root: string): string {
    return createHmac('sha256', this.secret).update(root).digest('hex');
  }

  /** Whether `token` is the one for `root`. */
  grants(root: string, token: string): boolean {
    const expected = Buffer.from(this.forProject(root));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
