import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { JsonRpcClient, RpcRequestError } from '../../protocol/json-rpc-client.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('the JSON-RPC client against vscode-jsonrpc, the daemon\'s server', () => {
  let dir: string;
  let server: Server;
  const path = () => join(dir, 's.sock');

  before(async () => {
    dir = mkdtempSync(join(scratchDir(), 'orch-rpc-'));
    server = createServer((socket) => {
      const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      connection.onRequest('echo', (params: unknown) => params);
      connection.onRequest('fail', () => new ResponseError(2, 'bad usage, said the server'));
      connection.onRequest('slow', async (params: { ms: number }) => {
        await new Promise((r) => setTimeout(r, params.ms));
        return params.ms;
      });
      connection.onRequest('hang-up', () => {
        socket.destroy();
        return new Promise(() => {});
      });
      connection.listen();
    });
    server.listen(path());
    await once(server, 'listening');
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function client(): Promise<JsonRpcClient> {
    const socket = connect(path());
    await once(socket, 'connect');
    return new JsonRpcClient(socket);
  }

  it('sends named parameters and gets results, also large and non-ASCII ones', async () => {
    const rpc = await client();
    const big = { text: 'é✓🎻'.repeat(100_000), list: Array.from({ length: 1000 }, (_, i) => i) };
    assert.deepEqual(await rpc.request('echo', big), big);
    rpc.close();
  });

  it('matches concurrent replies to their requests', async () => {
    const rpc = await client();
    const results = await Promise.all([rpc.request('slow', { ms: 60 }), rpc.request('slow', { ms: 5 }), rpc.request('echo', { x: 1 })]);
    assert.deepEqual(results, [60, 5, { x: 1 }]);
    rpc.close();
  });

  it('turns error replies into errors with the server\'s code', async () => {
    const rpc = await client();
    await assert.rejects(rpc.request('fail', {}), (e: Error) => e instanceof RpcRequestError && e.code === 2 && e.message === 'bad usage, said the server');
    await assert.rejects(rpc.request('nope', {}), (e: Error) => e instanceof RpcRequestError && e.code === -32601);
    rpc.close();
  });

  it('fails pending requests when the server hangs up, and later ones at once', async () => {
    const rpc = await client();
    await assert.rejects(rpc.request('hang-up', {}), (e: Error) => e instanceof RpcRequestError && e.code === undefined && /hang-up: the connection closed/.test(e.message));
    await assert.rejects(rpc.request('echo', {}), /the connection closed/);
  });

  it('gives up on a server that sends garbage', async () => {
    const garbage = createServer((socket: Socket) => socket.write('HTTP/1.1 200 OK\r\n\r\n<html>'));
    const garbagePath = join(dir, 'g.sock');
    garbage.listen(garbagePath);
    await once(garbage, 'listening');
    const socket = connect(garbagePath);
    await once(socket, 'connect');
    const rpc = new JsonRpcClient(socket);
    await assert.rejects(rpc.request('echo', {}), /the server sent a message without a valid Content-Length/);
    garbage.close();
  });
});
