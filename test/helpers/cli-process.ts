/**
 * The real command line as a child process (`node --import tsx src/cli.ts --config <file>`): its JSON log
 * lines parsed as they come, its port read from the `listening` line. `stop()` kills it if it still runs.
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
