/**
 * Every process the benchmark starts, in one registry: each is stopped at the end, also on an error or
 * Ctrl-C (SIGTERM first, SIGKILL after a grace period). Output goes to a log file per process; its last
 * lines are kept for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) when the process has ended. */
  readonly exited: Promise<number | string>;
  /** The last lines it wrote (stdout and stderr). */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Where stdout and stderr are written; `null` keeps only the tail in memory. */
  readonly logFile: string | null;
  /** Open an IPC channel (for the upstream and load processes). */
  readonly ipc?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Also hand every stdout line to this callback (wrk's result line). */
  readonly onLine?: (line: string) => void;
}

const running = new Set<Child>();
const TAIL_LINES = 40;

/** Starts a process and registers it for cleanup. */
export function startChild({
  name,
  command,
  args,
  cwd,
  logFile,
  ipc = false,
  env = process.env,
  onLine,
}: StartOptions): Child {
  const proc = spawn(command, [...args], {
    cwd,
    env,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const log: WriteStream | null = logFile === null ? null : createWriteStream(logFile, { flags: 'a' });
  let partial = '';
  const collect = (chunk: Buffer, stream: 'out' | 'err'): void => {
    log?.write(chunk);
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (stream === 'out') onLine?.(line);
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  };
  proc.stdout?.on('data', (chunk: Buffer) => collect(chunk, 'out'));
  proc.stderr?.on('data', (chunk: Buffer) => collect(chunk, 'err'));
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', (error) => {
      lines.push(`${name}: ${error.message}`);
      resolve('spawn-error');
    });
  });
  const child: Child = {
    name,
    process: proc,
    pid: proc.pid ?? -1,
    exited,
    tail: () => [...lines, partial].filter((l) => l !== '').join('\n'),
    async stop(graceMs = 5000) {
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      if (log) {
        log.end();
        await once(log, 'close').catch(() => undefined);
      }
    },
  };
  void exited.then(() => running.delete(child));
  running.add(child);
  return child;
}

/** Stops every process still running, in parallel. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...running].map((c) => c.stop(graceMs)));
}

/** Sends one IPC message and resolves with the first reply whose `type` is `replyType`. */
export function request<T>(child: Child, message: object, replyType: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (reply: unknown): void => {
      if (typeof reply === 'object' && reply !== null && (reply as { type?: unknown }).type === replyType) {
        cleanup();
        resolve(reply as T);
      } else if (
        typeof reply === 'object' &&
        reply !== null &&
        (reply as { type?: unknown }).type === 'error'
      ) {
        cleanup();
        reject(new Error(`${child.name}: ${String((reply as { message?: unknown }).message)}`));
      }
    };
    const onExit = (code: number | string): void => {
      cleanup();
      reject(new Error(`${child.name} ended (${code}) before answering:\n${child.tail()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`${child.name} did not answer "${replyType}" within ${timeoutMs} ms:\n${child.tail()}`),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
    };
    child.process.on('message', onMessage);
    void child.exited.then(onExit);
    child.process.send(message);
  });
}

/** Waits for the next IPC message of `type` without sending anything. */
export function nextMessage<T>(child: Child, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type) {
        clearTimeout(timer);
        child.process.off('message', onMessage);
        resolve(message as T);
      }
    };
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`${child.name} sent no "${type}" within ${timeoutMs} ms:\n${child.tail()}`));
    }, timeoutMs);
    child.process.on('message', onMessage);
    void child.exited.then((code) => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      reject(new Error(`${child.name} ended (${code}):\n${child.tail()}`));
    });
  });
}
