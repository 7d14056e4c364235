/**
 * The command line that runs `command` on the CPUs `cpuList` names (a taskset list, e.g. "0" or
 * "0,2-3"), from exec on, so every thread it ever starts inherits the affinity; unchanged when
 * `cpuList` is absent.
 */
export function withCpuAffinity(cpuList: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpuList === undefined ? [command, args] : ['taskset', ['-c', cpuList, command, ...args]];
}
