/**
 * The hostile-load attacker (bench/hostile-attack.ts) in its own process, so that the flood's own cost
 * never lands on the event loop a test measures. Owns its teardown: `close()` ends the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AttackJob, AttackResult } from '../../bench/hostile-attack.js';

const SCRIPT = fileURLToPath(new URL('../../bench/hostile-attack.ts', import.meta.url));

export interface Attacker {
  /** Runs a job; `onStarted` is called once every request of it has been written. */
  run<R extends AttackResult>(job: AttackJob, onStarted?: () => void): Promise<R>;
  close(): Promise<void>;
}

export async function startAttacker(): Promise<Attacker> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { type?: string }): void => {
      if (message.type !== 'ready') return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    void exited.then(() => reject(new Error('the attacker process ended while starting')));
  });
  return {
    run<R extends AttackResult>(job: AttackJob, onStarted?: () => void): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        const onMessage = (message: { type?: string; message?: string }): void => {
          if (message.type === 'started') onStarted?.();
          else if (message.type === 'result') {
            child.off('message', onMessage);
            resolve(message as unknown as R);
          } else if (message.type === 'error') {
            child.off('message', onMessage);
            reject(new Error(`attacker: ${message.message ?? ''}`));
          }
        };
        child.on('message', onMessage);
        void exited.then(() => reject(new Error('the attacker process ended before its result')));
        child.send({ type: 'job', job });
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
