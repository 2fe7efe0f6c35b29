/**
 * The real command line as a child process (`node --import tsx src/cli.ts …`). `startCli` runs the proxy:
 * its JSON log lines parsed as they come, its port read from the `listening` line; `stop()` kills it if it
 * still runs. `runCli` runs a command that exits (help, validate, the operator's commands) to its end.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { eventually } from './device-requests.js';

const root = new URL('../../', import.meta.url).pathname;

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every JSON log line written to stdout so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** The main listener's port, from the `listening` line. */
  readonly port: number;
  stop(): void;
}

/** Starts the CLI and waits for its `listening` line (20 s at most; stderr is shown when it never comes). */
export async function startCli(
  configPath: string,
  { env = {} }: { env?: Record<string, string | undefined> } = {},
): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--config', configPath], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts)
      if (line.trim().startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const listening = await eventually(() => lines.find((l) => l.msg === 'listening'), {
      timeoutMs: 20_000,
      what: `the listening line (stderr: ${stderr})`,
    });
    return { child, lines, exited, port: Number(new URL(String(listening.url)).port), stop };
  } catch (error) {
    stop();
    throw error;
  }
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `src/cli.ts` with `args` to its exit; `env` entries override the environment (`undefined` removes a
 * variable). Killed, and the promise rejected with its output, after `timeoutMs`.
 */
export function runCli(
  args: readonly string[],
  { env = {}, timeoutMs = 20_000 }: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliRun> {
  const merged: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: merged,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli did not exit: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
