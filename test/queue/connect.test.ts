/** Queue URLs (password never shown), the maxmemory-policy rule, and a deadline on unreachable Redis. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkRedis } from '../../src/queue/connect.ts';
import { QueueError } from '../../src/queue/errors.ts';
import { parseQueueUrl, redisOptions, resolveQueueUrl } from '../../src/queue/url.ts';
import { freePort, startProxy, startRedis } from './_redis.ts';

describe('queue URL', () => {
  const cases: [string, Partial<ReturnType<typeof parseQueueUrl>>][] = [
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0, tls: false, redacted: 'redis://localhost:6379' }],
    [
      'redis://:s3cret@10.0.0.5:6380/2',
      { host: '10.0.0.5', port: 6380, db: 2, password: 's3cret', redacted: 'redis://:***@10.0.0.5:6380/2' },
    ],
    [
      'rediss://genready:p%40ss@redis.example:6390',
      { tls: true, username: 'genready', password: 'p@ss', redacted: 'rediss://genready:***@redis.example:6390' },
    ],
    ['unix:///tmp/redis.sock', { path: '/tmp/redis.sock', redacted: 'unix:///tmp/redis.sock' }],
  ];
  for (const [url, want] of cases)
    it(`parses ${want.redacted}`, () => {
      const got = parseQueueUrl(url);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });

  it('hands the password and TLS to ioredis only', () => {
    const o = redisOptions(parseQueueUrl('rediss://:pw@h:1/3'));
    assert.equal(o.password, 'pw');
    assert.deepEqual(o.tls, { servername: 'h' });
    assert.equal(o.db, 3);
  });

  const bad: [string, RegExp][] = [
    ['http://host:1', /must start with redis:\/\/ or rediss:\/\//],
    ['redis://:hunter2@host:1/99', /database must be a number from 0 to 15/],
    ['not a url :hunter2', /not a URL/],
    ['redis://:hunter2@', /not a URL|names no host/],
  ];
  for (const [url, re] of bad)
    it(`refuses ${url.replace('hunter2', '***')} without showing the password`, () => {
      assert.throws(
        () => parseQueueUrl(url),
        (e: Error) => e instanceof QueueError && re.test(e.message) && !e.message.includes('hunter2'),
      );
    });

  it('takes --queue before GENREADY_QUEUE_URL, and says how to give one', () => {
    assert.equal(resolveQueueUrl('redis://a:1', { GENREADY_QUEUE_URL: 'redis://b:2' }).host, 'a');
    assert.equal(resolveQueueUrl(undefined, { GENREADY_QUEUE_URL: 'redis://b:2' }).host, 'b');
    assert.throws(() => resolveQueueUrl(undefined, {}), /GENREADY_QUEUE_URL/);
  });
});

describe('checkRedis', () => {
  const servers: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('accepts a noeviction Redis and reports its version', async () => {
    const r = await startRedis();
    servers.push(r);
    const facts = await checkRedis(parseQueueUrl(r.url));
    assert.equal(facts.maxmemoryPolicy, 'noeviction');
    assert.match(facts.version, /^\d+\.\d+/);
  });

  it('refuses an evicting Redis with one line naming maxmemory-policy', async () => {
    const r = await startRedis({ policy: 'allkeys-lru' });
    servers.push(r);
    await assert.rejects(checkRedis(parseQueueUrl(r.url)), (e: Error) => {
      assert.ok(e instanceof QueueError);
      assert.equal((e as QueueError).code, 'redis-evicts');
      assert.match(e.message, /maxmemory-policy allkeys-lru.*noeviction/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });

  it('uses the password and never prints it when it is wrong', async () => {
    const r = await startRedis({ password: 'right-one' });
    servers.push(r);
    const ok = await checkRedis(parseQueueUrl(r.url));
    assert.equal(ok.maxmemoryPolicy, 'noeviction');
    const wrong = `redis://:wrong-one@127.0.0.1:${r.port}`;
    await assert.rejects(checkRedis(parseQueueUrl(wrong)), (e: Error) => {
      assert.match(e.message, /refused the credentials/);
      assert.match(e.message, /:\*\*\*@/);
      assert.ok(!e.message.includes('wrong-one'));
      return true;
    });
  });

  it('gives up on a closed port at once and on a black-holed one at the deadline', async () => {
    const closed = await freePort();
    const t0 = performance.now();
    await assert.rejects(checkRedis(parseQueueUrl(`redis://127.0.0.1:${closed}`), 2000), /cannot reach Redis/);
    assert.ok(performance.now() - t0 < 2000);

    const r = await startRedis();
    servers.push(r);
    const proxy = await startProxy(r.port);
    servers.push({ stop: () => proxy.close() });
    proxy.cut('blackhole');
    const t1 = performance.now();
    await assert.rejects(
      checkRedis(parseQueueUrl(`redis://127.0.0.1:${proxy.port}`), 800),
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: no answer within 0\.8 s/,
    );
    const waited = performance.now() - t1;
    assert.ok(waited >= 700 && waited < 3000, `waited ${waited} ms`);
    proxy.heal();
    assert.equal(
      (await checkRedis(parseQueueUrl(`redis://127.0.0.1:${proxy.port}`), 2000)).maxmemoryPolicy,
      'noeviction',
    );
  });
});
