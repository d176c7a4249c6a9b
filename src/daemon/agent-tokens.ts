import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, openPrivateFile } from '../platform/private-files.js';

/**
 * The credentials Orchestra gives the agents it starts (DESIGN.md §1): ORCHESTRA_TOKEN, an
 * HMAC of the project's root under a secret only the daemon reads. A client that says hello
 * with it reaches that project alone — so an agent working on one repository does not read
 * or change the tasks of another through Orchestra's CLI,
 * hooks or MCP server, as given to it. A person's own commands carry no token and reach
 * everything. It is no sandbox: the agent runs as the person, and one that runs shell commands
 * could unset the token or read the secret; it keeps Orchestra's own tools to the project.
 */
export class AgentTokens {
  private constructor(private readonly secret: Buffer) {}

  /** The daemon's secret from the state directory, made (0600) at first use; it outlives daemons, as agents do. */
  static load(stateDir: string): AgentTokens {
    const path = join(stateDir, 'agent-token.key');
    makePrivateDir(stateDir);
    try {
      // Exclusive: of two daemons starting at once, both keep the one secret written first.
      const fd = openPrivateFile(path, 'wx');
      try {
        writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const secret = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (secret.length < 32) throw new Error(`${path} does not hold a secret of 32 bytes; remove it and start the daemon again (agents running now must be started again)`);
    return new AgentTokens(secret);
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
