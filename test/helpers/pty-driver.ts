/**
 * A program run in a pseudo-terminal, as `npm start` runs in a terminal window: python3's `pty` module
 * (no npm dependency) forks the program with the terminal's slave side as its stdin, stdout and
 * controlling terminal. The test reads what the program writes to the terminal, sends it SIGHUP, or
 * closes the terminal (the master side), which hangs it up like closing the window.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** The driver: relays the terminal's output to stdout, takes `hup` and `close` on stdin, ends with `EXIT`. */
const DRIVER = String.raw`
import os, pty, select, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stdout.write("PID %d\n" % pid); sys.stdout.flush()
open_fd = fd
commands = b""
while True:
    watched = [0] + ([open_fd] if open_fd is not None else [])
    ready, _, _ = select.select(watched, [], [], 0.1)
    if open_fd is not None and open_fd in ready:
        try:
            data = os.read(open_fd, 65536)
        except OSError:
            data = b""
        if data:
            sys.stdout.buffer.write(data); sys.stdout.flush()
        else:
            os.close(open_fd); open_fd = None
    if 0 in ready:
        chunk = os.read(0, 1024)
        commands += chunk
        while b"\n" in commands:
            line, commands = commands.split(b"\n", 1)
            if line == b"hup":
                os.kill(pid, signal.SIGHUP)
            elif line == b"close" and open_fd is not None:
                os.close(open_fd); open_fd = None
            elif line == b"kill":
                os.kill(pid, signal.SIGKILL)
        if not chunk:
            os.kill(pid, signal.SIGKILL)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == pid:
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        sys.stdout.write("\nEXIT %d\n" % code); sys.stdout.flush()
        break
`;

export interface TerminalProgram {
  readonly driver: ChildProcessWithoutNullStreams;
  /** Everything the program wrote to its terminal so far (CR LF as the terminal sends it). */
  output(): string;
  /** Sends SIGHUP to the program, the terminal staying open. */
  hangUpSignal(): void;
  /** Closes the terminal: the kernel hangs it up, as when its window is closed. */
  closeTerminal(): void;
  /** The program's exit code (negative: killed by that signal), once it ended. */
  readonly exited: Promise<number>;
  /** Kills the program if it still runs. */
  stop(): void;
}

export function pythonPtyAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
}

export function runInTerminal(
  argv: readonly string[],
  { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv },
): TerminalProgram {
  const driver = spawn('python3', ['-c', DRIVER, ...argv], { cwd, env });
  let text = '';
  driver.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  let stderr = '';
  driver.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // The driver ends right after the program (it prints EXIT first); NaN if it ended any other way.
  const exited = new Promise<number>((resolve) =>
    driver.on('close', () => {
      const code = /\nEXIT (-?\d+)\n/.exec(text)?.[1];
      if (code === undefined) process.stderr.write(`pty driver ended without EXIT: ${stderr}\n`);
      resolve(code === undefined ? Number.NaN : Number(code));
    }),
  );
  return {
    driver,
    output: () => text,
    hangUpSignal: () => driver.stdin.write('hup\n'),
    closeTerminal: () => driver.stdin.write('close\n'),
    exited,
    stop() {
      if (driver.exitCode === null && driver.signalCode === null) driver.stdin.end('kill\n');
    },
  };
}
