/**
 * Loaded into a measured process (`node --import bench/probe.mjs …`: the built proxy, the bare relay) to
 * measure it from the inside over one window, on the orchestrator's word over IPC:
 *
 * - bytes allocated on the V8 heap: a `v8.GCProfiler` records the heap's used size before and after every
 *   collection in the window, so the allocation is the growth between collections, summed (plus the growth
 *   from the start to the first collection and from the last one to the end). Buffers' backing stores live
 *   outside the V8 heap and are not counted;
 * - the time spent in collections (the GCProfiler's own cost per collection);
 * - optionally a CPU profile of the window (the inspector's sampling profiler), written to a file;
 * - optionally a sampling heap profile of the window, collected objects included (where the bytes are
 *   allocated, by function), written to a file.
 *
 *   { type: 'probe-begin', cpuProfile: <file> | null, heapProfile: <file> | null }  →  { type: 'probe-begun' }
 *   { type: 'probe-end' }                               →  { type: 'probe-result', allocatedBytes, gcCount, gcMs, cpuProfile }
 *
 * Nothing runs between windows; the IPC channel does not keep the process alive.
 */
import inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

/** Sampling interval of the CPU profile, µs: fine enough for a check of a few hundred µs. */
const SAMPLING_INTERVAL_US = 200;

/** @type {{ gc: v8.GCProfiler, usedAtStart: number, session: inspector.Session | null, cpuProfile: string | null, heapProfile: string | null } | null} */
let window = null;

/** @param {inspector.Session} session @param {string} method @param {object} [params] */
function post(session, method, params = {}) {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

async function begin(cpuProfile, heapProfile) {
  let session = null;
  if (cpuProfile !== null || heapProfile !== null) {
    session = new inspector.Session();
    session.connect();
  }
  if (session !== null && cpuProfile !== null) {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await post(session, 'Profiler.start');
  }
  if (session !== null && heapProfile !== null) {
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const gc = new v8.GCProfiler();
  gc.start();
  window = { gc, usedAtStart: v8.getHeapStatistics().used_heap_size, session, cpuProfile, heapProfile };
}

async function end() {
  if (window === null) throw new Error('probe-end without probe-begin');
  const { gc, usedAtStart, session, cpuProfile, heapProfile } = window;
  window = null;
  const usedAtEnd = v8.getHeapStatistics().used_heap_size;
  const { statistics } = gc.stop();
  let allocated = 0;
  let previous = usedAtStart;
  let costUs = 0;
  for (const collection of statistics) {
    allocated += Math.max(0, collection.beforeGC.heapStatistics.usedHeapSize - previous);
    previous = collection.afterGC.heapStatistics.usedHeapSize;
    costUs += collection.cost;
  }
  allocated += Math.max(0, usedAtEnd - previous);
  if (session !== null && cpuProfile !== null) {
    const { profile } = /** @type {{ profile: object }} */ (await post(session, 'Profiler.stop'));
    writeFileSync(cpuProfile, JSON.stringify(profile));
  }
  if (session !== null && heapProfile !== null) {
    const { profile } = /** @type {{ profile: object }} */ (await post(session, 'HeapProfiler.stopSampling'));
    writeFileSync(heapProfile, JSON.stringify(profile));
  }
  session?.disconnect();
  return { allocatedBytes: allocated, gcCount: statistics.length, gcMs: costUs / 1000, cpuProfile };
}

process.on('message', (message) => {
  const type = message?.type;
  const reply = (promise, answer) =>
    promise.then(
      (value) => process.send?.({ type: answer, ...value }),
      (error) => process.send?.({ type: 'error', message: String(error?.stack ?? error) }),
    );
  if (type === 'probe-begin')
    void reply(
      begin(message.cpuProfile ?? null, message.heapProfile ?? null).then(() => ({})),
      'probe-begun',
    );
  else if (type === 'probe-end') void reply(end(), 'probe-result');
});
process.channel?.unref();
