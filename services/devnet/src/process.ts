import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Raised when a child the devnet started dies before it was asked to stop. */
export class ProcessCrashedError extends Error {
  override readonly name = "ProcessCrashedError";
  constructor(
    readonly processName: string,
    readonly exit: ExitStatus,
    readonly logTail: string[],
  ) {
    super(
      `${processName} exited unexpectedly (${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}); last log lines:\n  ${logTail.join("\n  ")}`,
    );
  }
}

/** How a child ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process owned by the devnet: logged to a file, stopped by its own pid. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when the child has exited, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  /** The last lines the child wrote to stdout or stderr. */
  tail(lines?: number): string[];
  /** Throws ProcessCrashedError if the child died without being asked to stop. */
  assertRunning(): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the pid is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Options for startProcess. */
export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Last-resort cleanup: when the Node process exits (test failure, uncaught error),
 * kill every child still running so nothing outlives the run.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) {
      try {
        if (child.pid) process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/**
 * The pid ledger: when HH_PID_LEDGER names a directory, every started child leaves a
 * file there until it is seen to exit. The test runner checks the ledger after the suite
 * to prove that no process outlived it.
 */
function ledgerPath(pid: number): string | undefined {
  const dir = process.env.HH_PID_LEDGER;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return join(dir, String(pid));
}

/** Starts a child with output captured to `logPath` and a ring buffer for crash reports. */
export function startProcess(options: StartOptions): ManagedProcess {
  installExitHook();
  const log = createWriteStream(options.logPath, { flags: "a" });
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) {
    throw new Error(`${options.name}: could not start ${options.command}`);
  }
  const pid = child.pid;
  live.add(child);
  const ledgerFile = ledgerPath(pid);
  if (ledgerFile) writeFileSync(ledgerFile, `${options.name} ${options.command}\n`);

  const ring: string[] = [];
  let partial = "";
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString("utf8");
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      ring.push(line);
      if (ring.length > 200) ring.shift();
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);

  let stopping = false;
  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on("exit", (code, signal) => {
      exitStatus = { code, signal };
      live.delete(child);
      if (ledgerFile) rmSync(ledgerFile, { force: true });
      log.end();
      resolve(exitStatus);
    });
    child.on("error", (err) => {
      ring.push(`spawn error: ${err.message}`);
    });
  });

  const tail = (n = 20) => (partial ? [...ring, partial] : ring).slice(-n);
  let stopPromise: Promise<void> | undefined;
  return {
    name: options.name,
    pid,
    logPath: options.logPath,
    exited,
    tail,
    assertRunning() {
      if (exitStatus && !stopping) throw new ProcessCrashedError(options.name, exitStatus, tail());
    },
    stop(graceMs = 10_000) {
      stopping = true;
      stopPromise ??= (async () => {
        if (exitStatus) return;
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // exited between the check and the kill
            }
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      })();
      return stopPromise;
    },
  };
}

/** True while a process with this pid exists (signal 0 probes without delivering). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
