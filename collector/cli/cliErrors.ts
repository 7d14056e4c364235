// What can go wrong for the `shadowdiff` command, apart from the HTTP error catalogue: each
// category has a stable code (printed in scripts' logs) and the exit code it ends the process with.

export const CLI_ERRORS = {
  CLI_USAGE: { exitCode: 2, summary: 'bad command line' },
  CONFIG_INVALID: { exitCode: 2, summary: 'the configuration is invalid' },
  STARTUP_FAILED: { exitCode: 2, summary: 'the collector could not start with these settings (host, port, store)' },
  COLLECTOR_UNREACHABLE: { exitCode: 1, summary: 'the collector did not answer' },
  COLLECTOR_ANSWER: { exitCode: 1, summary: 'the collector answered with an error or something that is not a report' },
} as const;

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }

  get exitCode(): number {
    return CLI_ERRORS[this.code].exitCode;
  }
}
