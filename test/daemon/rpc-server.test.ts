import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Methods } from '../../protocol/daemon.js';
import { Params } from '../../protocol/daemon-params.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { Logger } from '../../src/daemon/log.js';
import { MAX_REQUESTS_IN_FLIGHT, RpcServer } from '../../src/daemon/rpc-server.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';
import { waitFor } from '../helpers/sandbox.js';

describe("the daemon's server", () => {
  const dir = mkdtempSync(join(scratchDir(), 'orch-rpc-server-'));
  const server = new RpcServer(join(dir, 'd.sock'), new Logger(join(dir, 'daemon.log')));
  /** Requests being served: each waits until the test lets it answer. */
  const serving: Array<() => void> = [];
  server.on(Methods.getTask, Params.taskRef, (() => new Promise((resolve) => serving.push(() => resolve({ ref: '1' })))) as never);

  before(() => server.listen());
  after(async () => {
    await server.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`serves at most ${MAX_REQUESTS_IN_FLIGHT} requests of a connection at once, and reads on as they are answered`, async () => {
    const socket = connect(server.socketPath);
    await once(socket, 'connect');
    const client = new JsonRpcClient(socket);
    const replies = Array.from({ length: 40 }, () => client.request(Methods.getTask.method, { cwd: '/', ref: '1' }));
    await waitFor(() => serving.length >= MAX_REQUESTS_IN_FLIGHT, `${MAX_REQUESTS_IN_FLIGHT} requests to be served`);
    // Nothing more is taken within a while.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(serving.length, MAX_REQUESTS_IN_FLIGHT);
    serving[0]!();
    await replies[0];
    await waitFor(() => serving.length === MAX_REQUESTS_IN_FLIGHT + 1, 'one more request to be served');
    for (let i = 0; i < 40; i++) {
      await waitFor(() => serving.length > i, `request ${i + 1} to be served`);
      serving[i]!();
    }
    assert.equal((await Promise.all(replies)).length, 40);
    client.close();
  });
});
